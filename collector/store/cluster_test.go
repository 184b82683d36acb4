package store_test

import (
	"context"
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
	for _, e := range engines {
		t.Log(e.Name, e.Engine)
	}
}
