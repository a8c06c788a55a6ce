package ports

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortsAreDistinctAndBindable(t *testing.T) {
	got, err := Free(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range got {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want 5 distinct positive ports", got)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is not free after Free returned: %v", p, err)
		}
		_ = l.Close()
	}
	if p := One(t); p <= 0 {
		t.Fatalf("One = %d", p)
	}
}
