package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Dump returns every row of every table of the store's database, each
// column printed as text, one line per row starting with the table name:
// what a stolen backup of the database holds. Views are left out (they
// have no data of their own).
func Dump(t testing.TB, s *store.Store) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var tables []struct {
		Name   string `ch:"name"`
		Engine string `ch:"engine"`
	}
	if err := s.Conn().Select(ctx, &tables, `SELECT name, engine FROM system.tables WHERE database = ?`, s.Database()); err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	var b strings.Builder
	for _, tb := range tables {
		if strings.HasSuffix(tb.Engine, "View") {
			continue
		}
		rows, err := s.Conn().Query(ctx, "SELECT * FROM `"+s.Database()+"`.`"+tb.Name+"`")
		if err != nil {
			t.Fatalf("dumping %s: %v", tb.Name, err)
		}
		cols := rows.ColumnTypes()
		for rows.Next() {
			dst := make([]any, len(cols))
			for i, c := range cols {
				dst[i] = reflect.New(c.ScanType()).Interface()
			}
			if err := rows.Scan(dst...); err != nil {
				t.Fatalf("dumping %s: %v", tb.Name, err)
			}
			b.WriteString(tb.Name)
			for _, d := range dst {
				fmt.Fprintf(&b, "\t%v", reflect.ValueOf(d).Elem().Interface())
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dumping %s: %v", tb.Name, err)
		}
		rows.Close()
	}
	return b.String()
}
