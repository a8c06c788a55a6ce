// Package output prints a command's result as a table, JSON or YAML: the one
// way every command with -o does it (helm's pkg/cli/output is the model).
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Format is the value of -o.
type Format string

const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// Formats are the accepted values of -o, in the order help shows them.
var Formats = []Format{Table, JSON, YAML}

// Tabler is a result that knows its table form; JSON and YAML come from
// its fields.
type Tabler interface {
	WriteTable(w io.Writer) error
}

// String, Set and Type make a Format a flag value (pflag.Value): a bad -o is
// refused while the flags are parsed.
func (f *Format) String() string { return string(*f) }

func (f *Format) Set(s string) error {
	if err := Format(s).Validate(); err != nil {
		return err
	}
	*f = Format(s)
	return nil
}

func (f *Format) Type() string { return "format" }

// Validate refuses a format that is none of Formats.
func (f Format) Validate() error {
	for _, ok := range Formats {
		if f == ok {
			return nil
		}
	}
	return fmt.Errorf("-o %s: use table, json or yaml", f)
}

// Write prints v in format f.
func Write(w io.Writer, f Format, v Tabler) error {
	switch f {
	case JSON:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case YAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case Table:
		return v.WriteTable(w)
	}
	return f.Validate()
}

// Columns writes a header and rows as aligned columns, the table form of
// every list.
func Columns(out io.Writer, header []string, rows [][]string) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, row := range append([][]string{header}, rows...) {
		if _, err := fmt.Fprintln(w, strings.Join(row, "\t")); err != nil {
			return err
		}
	}
	return w.Flush()
}

// Dash is s, or "-" for an empty table cell.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
