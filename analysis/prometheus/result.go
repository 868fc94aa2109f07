package prometheus

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/rampdev/ramp/analysis"
)

// errStringResult is the error for a query whose result is a string.
var errStringResult = errors.New("the query returned a string; use an instant vector query or a scalar")

// maxTextValues is the most values of a vector written into Result.Text;
// the conditions still see them all.
const maxTextValues = 32

// toResult turns a query's answer into a measurement: a scalar gives a
// float64, an instant vector a []float64 ordered by the series' labels.
func toResult(v model.Value) (analysis.Result, error) {
	switch v := v.(type) {
	case *model.Scalar:
		f := float64(v.Value)
		return analysis.Result{Value: f, Text: formatFloat(f)}, nil
	case model.Vector:
		samples := slices.Clone(v)
		slices.SortStableFunc(samples, func(a, b *model.Sample) int {
			switch {
			case a.Metric.Before(b.Metric):
				return -1
			case b.Metric.Before(a.Metric):
				return 1
			}
			return 0
		})
		values := make([]float64, 0, len(samples))
		for _, s := range samples {
			if s.Histogram != nil {
				return analysis.Result{}, fmt.Errorf("the query returned a native histogram for series %s; reduce it to numbers, such as with histogram_quantile(0.99, ...)", s.Metric)
			}
			values = append(values, float64(s.Value))
		}
		return analysis.Result{Value: values, Text: formatList(values)}, nil
	case model.Matrix:
		return analysis.Result{}, errors.New("the query returned a range vector; use an instant vector query: drop the [range] selector, or wrap it in a function such as rate()")
	case nil:
		return analysis.Result{}, errors.New("prometheus answered without a query result")
	case *model.String:
		return analysis.Result{}, errStringResult
	default:
		return analysis.Result{}, fmt.Errorf("the query returned a %s; use an instant vector query or a scalar", v.Type())
	}
}

// formatFloat writes f as Go's shortest form: 0.012, 1e-06, NaN, +Inf.
func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// formatList writes values like [0.01,0.02], cut after maxTextValues.
func formatList(values []float64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range values {
		if i == maxTextValues {
			fmt.Fprintf(&b, ",… %d more", len(values)-maxTextValues)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(formatFloat(f))
	}
	b.WriteByte(']')
	return b.String()
}
