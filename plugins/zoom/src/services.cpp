// Services::of: what a node's Context or a provider's context offers the plugin.

#include "services.hpp"

namespace sluice::zoom {

Services Services::of(Context& ctx) {
  return Services{&ctx.http(), ctx.executor(), ctx.blocking_executor()};
}

Services Services::of(ProviderContext& ctx) {
  return Services{&ctx.http(), ctx.executor(), ctx.blocking_executor()};
}

} // namespace sluice::zoom
