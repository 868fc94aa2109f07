package cli

import (
	"errors"
	"fmt"
)

// exitError ends the plugin with a given exit code (status uses 1, 2 and 3
// for Degraded, timed out and invalid spec).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func (e *exitError) Unwrap() error { return e.err }

// exitWith returns an error that makes the plugin exit with code after
// printing the message.
func exitWith(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// exitCode is the process exit code for the error a command returned.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
