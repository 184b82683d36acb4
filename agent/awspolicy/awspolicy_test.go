package awspolicy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`"s3:GetObject"`, []string{"s3:GetObject"}},
		{`["s3:GetObject","s3:PutObject"]`, []string{"s3:GetObject", "s3:PutObject"}},
		{`["s3:GetObject",7,null]`, []string{"s3:GetObject"}},
		{`[]`, nil},
		{`{"AWS":"*"}`, nil},
		{`3`, nil},
		{`null`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(tc.doc), &v))
			require.Equal(t, tc.want, Strings(v))
		})
	}
}
