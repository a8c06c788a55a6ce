// nettest answers network questions from inside a pod of the real node, for
// its tests: nettest dns NAME | tcp HOST:PORT | udp HOST:PORT. It prints one
// line and exits 0 when the name resolves or the connection is made, 1 when
// not. A static Go program, so its image needs nothing else.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: nettest dns NAME | tcp HOST:PORT | udp HOST:PORT")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch what, arg := os.Args[1], os.Args[2]; what {
	case "dns":
		addrs, err := net.DefaultResolver.LookupHost(ctx, arg)
		if err != nil {
			fmt.Printf("dns %s: %v\n", arg, err)
			os.Exit(1)
		}
		fmt.Printf("dns %s: %v\n", arg, addrs)
	case "tcp", "udp":
		var d net.Dialer
		conn, err := d.DialContext(ctx, what, arg)
		if err == nil && what == "udp" {
			// UDP "connects" without a packet: send one and wait for any answer.
			_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err = conn.Write([]byte("nettest")); err == nil {
				_, err = conn.Read(make([]byte, 512))
			}
		}
		if err != nil {
			fmt.Printf("%s %s: %v\n", what, arg, err)
			os.Exit(1)
		}
		conn.Close()
		fmt.Printf("%s %s: connected\n", what, arg)
	default:
		fmt.Fprintln(os.Stderr, "nettest: unknown check", what)
		os.Exit(2)
	}
}
