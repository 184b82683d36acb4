package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestClusterMigrate(t *testing.T) {
	storetest.Cluster(t)
	o := storetest.ClusterOptions(t)
	t.Setenv(storetest.EnvOnCluster, "1")
	start := time.Now()
	s := storetest.New(t)
	t.Logf("migrated %s on cluster %s in %s", s.Database(), o.Cluster, time.Since(start))
	ctx := context.Background()
	var engines []struct {
		Name   string `ch:"name"`
		Engine string `ch:"engine"`
	}
	require.NoError(t, s.Conn().Select(ctx, &engines, `SELECT name, engine FROM system.tables WHERE database = ? ORDER BY name`, s.Database()))
	kinds := map[string]string{}
	for _, e := range engines {
		kinds[e.Name] = e.Engine
	}
	for name, engine := range kinds {
		switch {
		case strings.HasSuffix(engine, "View"):
		case strings.HasSuffix(name, "_local"):
			require.True(t, strings.HasPrefix(engine, "Replicated"), "%s: %s", name, engine)
			require.Equal(t, "Distributed", kinds[strings.TrimSuffix(name, "_local")], "%s has its Distributed table", name)
		case engine == "Distributed":
			require.Contains(t, kinds, name+"_local")
		default:
			require.True(t, strings.HasPrefix(engine, "Replicated"), "%s: %s", name, engine)
			require.True(t, strings.HasPrefix(name, "idx_") || strings.HasPrefix(name, "schema_") || name == "write_marks", "%s is on every node", name)
		}
	}
	require.Equal(t, "Distributed", kinds["pii_findings"])
	require.Equal(t, "ReplicatedMergeTree", kinds["idx_findings"])
}
