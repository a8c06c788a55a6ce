package resp

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRESPReplies(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
		err  string
	}{
		{in: "+OK\r\n", want: "OK"},
		{in: "-ERR no\r\n", want: Error("ERR no")},
		{in: ":42\r\n", want: int64(42)},
		{in: "$5\r\nhe\r\no\r\n", want: "he\r\no"},
		{in: "$-1\r\n", want: nil},
		{in: "*-1\r\n", want: nil},
		{in: "*2\r\n*1\r\n$1\r\na\r\n-ERR x\r\n", want: []any{[]any{"a"}, Error("ERR x")}},
		{in: "", err: "EOF"},
		{in: "+OK\n", err: "RESP: reply line not terminated by CRLF"},
		{in: "$3\r\nabcd\r\n", err: "RESP: bulk string not terminated by CRLF"},
		{in: "$2\r\nab", err: "unexpected EOF"},
		{in: "$99999999\r\n", err: "RESP: length 99999999 over the limit 1048576"},
		{in: "*99999999\r\n", err: "RESP: length 99999999 over the limit 65536"},
		{in: ":x\r\n", err: `RESP: bad integer "x"`},
		{in: "$-2\r\n", err: `RESP: bad length "-2"`},
		{in: "HTTP/1.1 400 Bad Request\r\n", err: `RESP: unexpected reply "HTTP/1.1 400 Bad Request"`},
		{in: "+" + strings.Repeat("x", respMaxLine) + "\r\n", err: "RESP: reply line longer than 4096 bytes"},
		{in: strings.Repeat("*1\r\n", respMaxDepth+1) + ":1\r\n", err: "RESP: arrays nested deeper than 8"},
	} {
		budget := respMaxTotal
		got, err := readRESP(bufio.NewReaderSize(bytes.NewBufferString(tc.in), respMaxLine), 0, &budget)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
	assert.Equal(t, "*2\r\n$4\r\nAUTH\r\n$3\r\na b\r\n", string(Command("AUTH", "a b")))
}
