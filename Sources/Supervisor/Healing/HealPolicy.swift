import DockerEngine

/// When to restart a container that is running but unhealthy — the gap Docker leaves open
/// (it restarts containers that exit, never ones that stay up and fail their healthcheck).
///
/// Unlike autoheal, healing waits out a grace period, backs off exponentially between restarts,
/// caps restarts per window and then gives up loudly instead of restarting forever.
public struct HealPolicy: Sendable, Equatable {
    /// How long a container must stay unhealthy before the first restart.
    public var gracePeriod: Duration
    /// Delay after the first restart before another is allowed; doubles each time.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// Restarts allowed within `window`; one more and the service is given up on.
    public var maxRestarts: Int
    public var window: Duration

    public init(
        gracePeriod: Duration = .seconds(30),
        initialBackoff: Duration = .seconds(30),
        maxBackoff: Duration = .seconds(600),
        maxRestarts: Int = 5,
        window: Duration = .seconds(3600)
    ) {
        self.gracePeriod = gracePeriod
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxRestarts = maxRestarts
        self.window = window
    }

    /// The wait after the `n`th restart (n ≥ 1): initial × 2^(n−1), at most `maxBackoff`.
    public func backoff(afterRestart n: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(n, 1) {
            delay *= 2
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }
}

/// What the healer saw of one container at one moment, in DockerEngine's vocabulary.
public struct HealObservation: Sendable, Equatable {
    public var health: DockerEngine.HealthStatus
    public var state: DockerEngine.ContainerState
    /// `io.stackpilot.heal=false` on the container.
    public var healingDisabled: Bool

    public init(health: DockerEngine.HealthStatus, state: DockerEngine.ContainerState, healingDisabled: Bool = false) {
        self.health = health
        self.state = state
        self.healingDisabled = healingDisabled
    }
}

public enum HealDecision: Sendable, Equatable {
    /// Nothing to do: the container is healthy or has no healthcheck.
    case nothing
    /// Not ours to touch, with the reason (already restarting, stopped on purpose, opted out).
    case leaveAlone(String)
    /// Unhealthy, but within the grace period or the backoff; look again at this instant.
    case wait(until: ContinuousClock.Instant, reason: String)
    /// Restart it now; this is restart number `attempt` in the current window.
    case restart(attempt: Int)
    /// The cap was reached: stop trying and tell someone.
    case giveUp(restarts: Int, window: Duration)
}

/// The healing state of one container, advanced by observations. A value type so the policy can
/// be tested without an engine or a clock.
public struct HealTracker: Sendable, Equatable {
    public var policy: HealPolicy
    public private(set) var unhealthySince: ContinuousClock.Instant?
    public private(set) var restarts: [ContinuousClock.Instant] = []
    public private(set) var nextAllowed: ContinuousClock.Instant?
    public private(set) var givenUp = false

    public init(policy: HealPolicy) {
        self.policy = policy
    }

    public mutating func decide(_ observation: HealObservation, at now: ContinuousClock.Instant) -> HealDecision {
        restarts.removeAll { now - $0 > policy.window }
        if observation.healingDisabled { return .leaveAlone("labelled io.stackpilot.heal=false") }
        switch observation.state {
        case .running: break
        case .restarting: return .leaveAlone("already restarting")
        case .exited, .dead, .created, .removing, .unknown:
            return .leaveAlone("not running (\(observation.state.rawValue)); stopped containers are left to their restart policy")
        case .paused: return .leaveAlone("paused")
        }
        // Running: DockerEngine's one judge says whether it is healthy.
        switch DockerEngine.Readiness(state: observation.state, health: observation.health) {
        case .unhealthy:
            break
        case .ready where observation.health == .healthy:
            unhealthySince = nil
            givenUp = false
            return .nothing
        default:
            return .nothing
        }
        let since = unhealthySince ?? now
        unhealthySince = since
        if givenUp { return .giveUp(restarts: restarts.count, window: policy.window) }
        if now < since + policy.gracePeriod {
            return .wait(until: since + policy.gracePeriod, reason: "unhealthy for less than the grace period")
        }
        if let nextAllowed, now < nextAllowed {
            return .wait(until: nextAllowed, reason: "backing off after restart \(restarts.count)")
        }
        if restarts.count >= policy.maxRestarts {
            givenUp = true
            return .giveUp(restarts: restarts.count, window: policy.window)
        }
        restarts.append(now)
        nextAllowed = now + policy.backoff(afterRestart: restarts.count)
        // A restart resets the unhealthy clock: the container gets its grace period again.
        unhealthySince = nil
        return .restart(attempt: restarts.count)
    }
}
