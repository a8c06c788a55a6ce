package exit

import (
	"errors"
	"fmt"
	"testing"
)

func TestCode(t *testing.T) {
	bad := BadInput(errors.New("unknown profile"))
	for name, tc := range map[string]struct {
		err  error
		want int
	}{
		"nil":               {nil, CodeOK},
		"plain":             {errors.New("boom"), CodeFailure},
		"bad input":         {bad, CodeBadInput},
		"wrapped bad input": {fmt.Errorf("deploy: %w", bad), CodeBadInput},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("%s: Code = %d, want %d", name, got, tc.want)
		}
	}
	if bad.Error() != "unknown profile" {
		t.Errorf("BadInput changed the message: %q", bad.Error())
	}
}
