"""nutpie's NUTS on the model's PyMC graph: ``nutpie.compile_pymc_model`` once per model
(:meth:`~reference_models.base.ReferenceModel.compiled_nutpie`), then ``with_data`` per fit."""

from __future__ import annotations

from pymc.util import is_transformed_name

from reference_models.backends.base import Backend
from reference_models.backends.pymc_nuts import graph_fingerprint
from reference_models.base import ReferenceModel


class NutpieBackend(Backend):
    name = "nutpie"
    packages = ("nutpie",)

    def compile(self, reference_model: ReferenceModel):
        return reference_model.compiled_nutpie()

    def fingerprint(self, reference_model: ReferenceModel) -> str:
        return graph_fingerprint(reference_model)

    def sample(self, reference_model, compiled, values, settings, seed, progressbar):
        import nutpie

        idata = nutpie.sample(
            compiled.with_data(**values),
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.cores,
            seed=seed,
            target_accept=settings.target_accept,
            save_warmup=False,
            progress_bar=progressbar,
        )
        # nutpie also stores the transformed coordinates (e.g. kappa_log__); keep PyMC's variables
        transformed = [str(v) for v in idata.posterior.data_vars if is_transformed_name(str(v))]
        idata.posterior = idata.posterior.drop_vars(transformed)
        return idata


BACKEND = NutpieBackend()
