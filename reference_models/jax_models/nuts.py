"""BlackJAX window adaptation + NUTS for a :class:`~reference_models.jax_models.JaxModel`,
as one pure function of (data, key) that ``jax.jit`` and ``jax.vmap`` compose freely.

Per chain: ``blackjax.window_adaptation`` (Stan's windowed step-size and diagonal mass-matrix
adaptation, dual averaging to ``target_accept``) for ``tune`` steps from the model's random
start, then ``draws`` NUTS transitions with the adapted parameters (``jax.lax.scan``). The
data are summarised once (``model.summarise``), then chains are ``jax.vmap``-ed, each from its
own key; :func:`chain_sampler` returns the function that
samples all chains of one data set, so SBC can ``vmap`` it once more over replications and
compile replications x chains as one program. ``tune`` must be >= 1 (the step size and mass
matrix are adapted, never guessed).

Example::

    >>> import jax, jax.numpy as jnp
    >>> from reference_models.jax_models import build
    >>> model = build("gamma_exponential", prior_alpha=5.0, prior_beta=0.002)
    >>> run = chain_sampler(model, chains=2, tune=200, draws=100, target_accept=0.9)
    >>> data = {"distances": jnp.full(8, 4e-4), "distances_mask": jnp.ones(8),
    ...         "prior_alpha": 5.0, "prior_beta": 0.002}
    >>> draws, divergent = jax.jit(run)(data, jax.random.key(0))
    >>> draws["kappa"].shape, divergent.shape
    ((2, 100), (2, 100))
"""

from __future__ import annotations

from collections.abc import Callable

import blackjax
import jax

from reference_models.jax_models import Data, JaxModel, Position

Sampler = Callable[[Data, jax.Array], tuple[Position, jax.Array]]


def chain_sampler(
    model: JaxModel, *, chains: int, tune: int, draws: int, target_accept: float
) -> Sampler:
    """``(data, key) -> (draws, divergent)``: every output variable shaped (chain, draw, ...)
    and the divergence flags of the kept transitions shaped (chain, draw)."""
    if tune < 1:
        raise ValueError(f"tune={tune}: the jax backend needs >= 1 adaptation step")

    def one_chain(summary: Data, key: jax.Array) -> tuple[Position, jax.Array]:
        def logdensity(position):
            return model.logdensity(position, summary)

        init_key, warm_key, draw_key = jax.random.split(key, 3)
        adaptation = blackjax.window_adaptation(
            blackjax.nuts,
            logdensity,
            target_acceptance_rate=target_accept,
            adaptation_info_fn=blackjax.adaptation.base.get_filter_adapt_info_fn(),
        )
        start = model.initial_position(init_key, summary)
        (state, parameters), _ = adaptation.run(warm_key, start, num_steps=tune)
        step = blackjax.nuts(logdensity, **parameters).step

        def transition(state, step_key):
            state, info = step(step_key, state)
            return state, (model.constrain(state.position, summary), info.is_divergent)

        _, (values, divergent) = jax.lax.scan(transition, state, jax.random.split(draw_key, draws))
        return values, divergent

    def all_chains(data: Data, key: jax.Array) -> tuple[Position, jax.Array]:
        keys = jax.random.split(key, chains)
        return jax.vmap(one_chain, in_axes=(None, 0))(model.summarise(data), keys)

    return all_chains
