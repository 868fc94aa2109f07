package framework

import (
	"os"
	"strconv"

	"go.uber.org/zap/zapcore"
)

// zapLevel is the controller's log level in tests: errors only, unless
// RAMP_E2E_LOG_LEVEL asks for more (for example 0 for info, 1 for debug).
func zapLevel() zapcore.Level {
	if v, err := strconv.Atoi(os.Getenv("RAMP_E2E_LOG_LEVEL")); err == nil {
		return zapcore.Level(-v)
	}
	return zapcore.ErrorLevel
}
