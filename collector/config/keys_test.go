package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyFileAndSubjects(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{"defaults", "", nil, func(t *testing.T, c Config) {
			require.Equal(t, "/var/lib/sightline-collector/keys.json", c.KeyFile)
			require.Equal(t, 1000, c.Subjects.MaxIdentifiersPerHour)
		}, ""},
		{"set", "key_file: /etc/sl/keys.json\nsubjects:\n  max_identifiers_per_hour: 50\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "/etc/sl/keys.json", c.KeyFile)
			require.Equal(t, 50, c.Subjects.MaxIdentifiersPerHour)
		}, ""},
		{"env", "key_file: /a\n", map[string]string{"SIGHTLINE_KEY_FILE": "/b"}, func(t *testing.T, c Config) {
			require.Equal(t, "/b", c.KeyFile)
		}, ""},
		{"empty key file", "key_file: \"\"\n", nil, nil, "key_file"},
		{"zero budget", "subjects:\n  max_identifiers_per_hour: 0\n", nil, nil, "max_identifiers_per_hour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load(write(t, tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}
