"""Past one machine: the lazy load runs on a dask.distributed cluster, same numbers."""

from __future__ import annotations

import numpy as np
import pytest
from pixels_fixtures import Served
from synthetic_cogs import BANDS, ORDER_ID

import geopera_nb as gn

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning")]


@pytest.mark.timeout(240)
def test_a_local_cluster_computes_the_same_numbers(served: Served) -> None:
    distributed = pytest.importorskip("distributed")
    eager = gn.load(served.client, ORDER_ID, aoi=True, catalog=False)
    lazy = gn.load(served.client, ORDER_ID, aoi=True, chunks={"x": 64, "y": 64}, catalog=False)
    ndvi_local = ((eager.nir.astype("f4") - eager.red) / (eager.nir + eager.red.astype("f4")))
    # two worker processes (no shared memory with this one): the graph, the GDAL settings
    # and the signed hrefs must all travel to them
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit="1GiB") as cluster, \
            distributed.Client(cluster) as dask_client:
        computed = dask_client.compute(lazy).result()
        ndvi = (lazy.nir.astype("f4") - lazy.red) / (lazy.nir + lazy.red.astype("f4"))
        mean_ndvi = dask_client.compute(ndvi.where(lazy.red != 0).mean(("x", "y"))).result()
        workers = list(dask_client.scheduler_info()["workers"])
    assert len(workers) == 2
    for band in BANDS:
        np.testing.assert_array_equal(computed[band].values, eager[band].values)
    expected = ndvi_local.where(eager.red != 0).mean(("x", "y")).values
    np.testing.assert_allclose(mean_ndvi.values, expected, rtol=1e-6)
    assert computed.odc.crs == eager.odc.crs and computed.attrs == eager.attrs
