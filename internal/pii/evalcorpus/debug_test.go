package evalcorpus

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sightline-dev/sightline/internal/pii"
)

func TestDebugMiss(t *testing.T) {
	typ := os.Getenv("DEBUG_TYPE")
	if typ == "" {
		t.Skip()
	}
	docs := GenerateTypes(2, 40, 1500, AllTypes)
	if os.Getenv("DEBUG_REQ") != "" {
		docs = Generate(1, 40, 500)
	}
	n := 0
	for _, d := range docs {
		lines := strings.Split(string(d.Text), "\n")
		got := map[Key]int{}
		pii.NewDefault().Detect(d.Text, func(m pii.Match) { got[Key{m.Line, m.Type}]++ })
		for k, w := range d.Want {
			if k.Type == typ && got[k] < w && n < 15 {
				fmt.Println("FN", lines[k.Line-1])
				n++
			}
		}
		for k, g := range got {
			if k.Type == typ && g > d.Want[k] && n < 30 {
				fmt.Println("FP", lines[k.Line-1])
				n++
			}
		}
	}
}
