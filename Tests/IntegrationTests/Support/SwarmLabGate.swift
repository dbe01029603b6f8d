import TestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the swarm lab (`scripts/swarm-lab up`) answers, or always when
    /// `STACKPILOT_REQUIRE_ENGINE=1` (then `SwarmLab.require()` fails it with the reason).
    static var requiresSwarmLab: Self {
        .enabled("needs the swarm lab: sudo scripts/swarm-lab up (STACKPILOT_REQUIRE_ENGINE=1 fails instead of skipping)") {
            await SwarmLab.runs(for: "swarm integration test")
        }
    }
}
