package output

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

type result struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func (r result) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "NAME COUNT\n%s %d\n", Dash(r.Name), r.Count)
	return err
}

func TestWrite(t *testing.T) {
	for f, want := range map[Format]string{
		Table: "NAME COUNT\n- 3\n",
		JSON:  "{\n  \"name\": \"\",\n  \"count\": 3\n}\n",
		YAML:  "count: 3\nname: \"\"\n",
	} {
		var out bytes.Buffer
		if err := Write(&out, f, result{Count: 3}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out.String() != want {
			t.Errorf("%s: got %q, want %q", f, out.String(), want)
		}
	}
	if err := Format("xml").Validate(); err == nil || err.Error() != "-o xml: use table, json or yaml" {
		t.Errorf("Validate(xml) = %v", err)
	}
	if err := Write(io.Discard, "xml", result{}); err == nil {
		t.Error("Write accepted -o xml")
	}
}

func TestColumns(t *testing.T) {
	var out bytes.Buffer
	if err := Columns(&out, []string{"NAME", "KIND"}, [][]string{{"local", "profile"}, {"topology-consolidated", "preset"}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME                   KIND\nlocal                  profile\ntopology-consolidated  preset\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestFormatIsAFlagValue(t *testing.T) {
	f := Table
	if err := f.Set("yaml"); err != nil || f != YAML {
		t.Errorf("Set(yaml): %v, format %s", err, f)
	}
	if err := f.Set("xml"); err == nil || f != YAML {
		t.Errorf("Set(xml) = %v and left %s, want an error and yaml kept", err, f)
	}
}
