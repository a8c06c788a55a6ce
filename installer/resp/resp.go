// Package resp is a minimal RESP2 client for Redis and Sentinel: the
// installer asks Sentinels for the master with it, and the failover tests
// drive real Redis processes with it.
package resp

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

// Replies are decoded as string (simple and bulk strings), int64, nil (null
// bulk string or array), []any, or Error (an error reply inside an array);
// every read is bounded so a wrong peer cannot make us buffer without end.
const (
	respMaxLine  = 4 << 10  // a type byte, a length or a simple string/error
	respMaxBulk  = 1 << 20  // one bulk string
	respMaxArray = 1 << 16  // elements of one array
	respMaxDepth = 8        // nested arrays
	respMaxTotal = 16 << 20 // every bulk string of one reply together
)

// Error is an error reply ("-WRONGPASS ...").
type Error string

func (e Error) Error() string { return string(e) }

// Conn is one connection to a Redis or Sentinel server. Deadlines are the
// caller's: set them on the net.Conn.
type Conn struct {
	conn net.Conn
	r    *bufio.Reader
}

// NewConn wraps an open connection.
func NewConn(conn net.Conn) *Conn {
	return &Conn{conn: conn, r: bufio.NewReaderSize(conn, respMaxLine)}
}

// Do sends one command and reads its reply; an error reply is returned as
// an Error.
func (c *Conn) Do(args ...string) (any, error) {
	if _, err := c.conn.Write(Command(args...)); err != nil {
		return nil, err
	}
	budget := respMaxTotal
	reply, err := readRESP(c.r, 0, &budget)
	if err != nil {
		return nil, err
	}
	if e, ok := reply.(Error); ok {
		return nil, e
	}
	return reply, nil
}

// Command encodes a command as RESP: an array of bulk strings.
func Command(args ...string) []byte {
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
		return Error(body), nil
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

// Read reads one RESP value from r: a reply, or the command a server
// receives (test servers use it).
func Read(r *bufio.Reader) (any, error) {
	budget := respMaxTotal
	return readRESP(r, 0, &budget)
}
