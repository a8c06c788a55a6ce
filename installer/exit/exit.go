// Package exit holds nova-installer's exit codes and the error that carries
// one from where a command fails to main (as helm's CommandError does).
package exit

import "errors"

// The documented exit codes.
const (
	CodeOK       = 0
	CodeFailure  = 1
	CodeBadInput = 2 // a mistake in what the user gave; nothing was sent
)

// Error is an error with the code the command exits with.
type Error struct {
	Err  error
	Code int
}

func (e Error) Error() string { return e.Err.Error() }
func (e Error) Unwrap() error { return e.Err }

// BadInput marks err as a mistake in the user's input.
func BadInput(err error) error { return Error{Err: err, Code: CodeBadInput} }

// Code is the exit code for err: the code it carries, else CodeFailure.
func Code(err error) int {
	if err == nil {
		return CodeOK
	}
	var e Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeFailure
}
