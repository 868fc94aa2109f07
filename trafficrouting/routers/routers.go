// Package routers lists the traffic routers built into ramp-controller. A
// new kind of data plane is one package under trafficrouting and one line
// here.
package routers

import (
	"github.com/rampdev/ramp/trafficrouting"
	"github.com/rampdev/ramp/trafficrouting/gatewayapi"
	"github.com/rampdev/ramp/trafficrouting/istio"
)

// All are the routers built in.
var All = []trafficrouting.Plugin{
	gatewayapi.Plugin,
	istio.Plugin,
}
