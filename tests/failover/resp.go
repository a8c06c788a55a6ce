package failover

import (
	"net"
	"strings"
	"time"

	"github.com/nova-platform/nova/installer/resp"
)

// redisDo sends one command to a Redis or Sentinel server (authenticating
// first when password is set) with the installer's RESP client and returns
// the reply: a string, an int64, nil, or a []any. A Redis error reply is
// returned as an error.
func redisDo(addr, password string, args ...string) (any, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	c := resp.NewConn(conn)
	if password != "" {
		if _, err := c.Do("AUTH", password); err != nil {
			return nil, err
		}
	}
	return c.Do(args...)
}

// infoField reads one field of an INFO section reply.
func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}
