package status

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// A minimal RESP2 client: enough for AUTH and SENTINEL MASTERS. Replies are
// decoded as string (simple and bulk strings), int64, nil (null bulk string
// or array), []any, or respError (an error reply inside an array); every read
// is bounded so a wrong peer cannot make us buffer without end.
const (
	respMaxLine  = 4 << 10  // a type byte, a length or a simple string/error
	respMaxBulk  = 1 << 20  // one bulk string
	respMaxArray = 1 << 16  // elements of one array
	respMaxDepth = 8        // nested arrays
	respMaxTotal = 16 << 20 // every bulk string of one reply together
)

// respError is an error reply ("-WRONGPASS ...").
type respError string

func (e respError) Error() string { return string(e) }

// respConn is one connection to a Redis or Sentinel server. Deadlines are the
// caller's: set them on conn.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func newRESPConn(conn net.Conn) *respConn {
	return &respConn{conn: conn, r: bufio.NewReaderSize(conn, respMaxLine)}
}

// do sends one command and reads its reply; an error reply is returned as a
// respError error.
func (c *respConn) do(args ...string) (any, error) {
	if _, err := c.conn.Write(encodeCommand(args...)); err != nil {
		return nil, err
	}
	budget := respMaxTotal
	reply, err := readRESP(c.r, 0, &budget)
	if err != nil {
		return nil, err
	}
	if e, ok := reply.(respError); ok {
		return nil, e
	}
	return reply, nil
}

// encodeCommand is a command as an array of bulk strings.
func encodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// readRESP reads one reply; budget is what bulk strings may still take.
func readRESP(r *bufio.Reader, depth int, budget *int) (any, error) {
	line, err := readRESPLine(r)
	if err != nil {
		return nil, err
	}
	if line == "" {
		return nil, errors.New("RESP: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respError(body), nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("RESP: bad integer %q", body)
		}
		return n, nil
	case '$':
		n, err := respLength(body, respMaxBulk)
		if err != nil || n < 0 {
			return nil, err
		}
		if *budget -= n; *budget < 0 {
			return nil, fmt.Errorf("RESP: reply larger than %d bytes", respMaxTotal)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, errors.New("RESP: bulk string not terminated by CRLF")
		}
		return string(buf[:n]), nil
	case '*':
		if depth >= respMaxDepth {
			return nil, fmt.Errorf("RESP: arrays nested deeper than %d", respMaxDepth)
		}
		n, err := respLength(body, respMaxArray)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readRESP(r, depth+1, budget); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("RESP: unexpected reply %q", truncate(line, 40))
}

// readRESPLine reads a line ending in CRLF, at most respMaxLine bytes.
func readRESPLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("RESP: reply line longer than %d bytes", respMaxLine)
	}
	if err != nil {
		return "", err
	}
	s, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return "", errors.New("RESP: reply line not terminated by CRLF")
	}
	return s, nil
}

// respLength is the length of a bulk string or array: -1 (null) up to max.
func respLength(s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("RESP: bad length %q", s)
	}
	if n > max {
		return 0, fmt.Errorf("RESP: length %d over the limit %d", n, max)
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
