package store_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// The collector reaches ClickHouse's secure native port with a password
// user, trusting only the CA in clickhouse.ca_file.
func TestOpenOverTLS(t *testing.T) {
	srv := storetest.TLS(t)
	other, err := testpki.NewCA("not ClickHouse's CA")
	require.NoError(t, err)
	plain := storetest.Addr(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("right CA and password", func(t *testing.T) {
		s, err := store.Open(ctx, srv.Options())
		require.NoError(t, err)
		defer s.Close()
		var v string
		require.NoError(t, s.Conn().QueryRow(ctx, "SELECT version()").Scan(&v))
		require.Regexp(t, `^\d+\.\d+`, v)
	})

	t.Run("migrate over TLS", func(t *testing.T) {
		o := srv.Options()
		o.Database = storetest.Options(t).Database
		s, err := store.Open(ctx, o)
		require.NoError(t, err)
		defer s.Close()
		defer func() {
			// o.Database is a sl_test_<hex> name, safe to splice.
			require.NoError(t, s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS `"+o.Database+"`"))
		}()
		applied, err := s.Migrate(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, applied)
	})

	t.Run("plain client to the secure port", func(t *testing.T) {
		o := srv.Options()
		o.TLS = nil
		_, err := store.Open(ctx, o)
		require.ErrorContains(t, err, "set clickhouse.tls: true")
	})

	tests := []struct {
		name    string
		change  func(o *store.Options)
		wantErr []string
	}{
		{"wrong CA", func(o *store.Options) { o.TLS = &tls.Config{RootCAs: other.Pool(), MinVersion: tls.VersionTLS12} },
			[]string{"TLS certificate is not trusted", "clickhouse.ca_file"}},
		{"server name not on the certificate", func(o *store.Options) { o.TLS.ServerName = "clickhouse.example.com" },
			[]string{"TLS certificate is not trusted", "clickhouse.server_name"}},
		{"wrong password", func(o *store.Options) { o.Password += "-wrong" },
			[]string{"logging in to ClickHouse", "clickhouse.password_file"}},
		{"no password", func(o *store.Options) { o.Password = "" },
			[]string{"logging in to ClickHouse", "clickhouse.password_file"}},
		{"TLS to the plain port", func(o *store.Options) { o.Addr = plain },
			[]string{"does not speak TLS", "tcp_port_secure"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := srv.Options()
			tc.change(&o)
			s, err := store.Open(ctx, o)
			if err == nil {
				s.Close()
			}
			require.Error(t, err)
			for _, w := range tc.wantErr {
				require.ErrorContains(t, err, w)
			}
		})
	}
}
