import Testing

@testable import Supervisor

@Suite("Healing policy")
struct HealPolicyTests {
    let policy = HealPolicy(gracePeriod: .seconds(30), initialBackoff: .seconds(40), maxBackoff: .seconds(300), maxRestarts: 3, window: .seconds(3600))
    let t0 = ContinuousClock.now
    let unhealthy = HealObservation(health: .unhealthy, state: .running)

    @Test("backoff doubles from the initial delay and stops at the maximum")
    func backoff() {
        #expect((1...5).map { policy.backoff(afterRestart: $0) } == [.seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300)])
    }

    @Test("an unhealthy container is left alone during its grace period, then restarted")
    func gracePeriod() {
        var tracker = HealTracker(policy: policy)
        #expect(tracker.decide(unhealthy, at: t0) == .wait(until: t0 + .seconds(30), reason: "unhealthy for less than the grace period"))
        #expect(tracker.decide(unhealthy, at: t0 + .seconds(29)) != .restart(attempt: 1))
        #expect(tracker.decide(unhealthy, at: t0 + .seconds(30)) == .restart(attempt: 1))
    }

    @Test("a container that keeps failing is restarted with growing delays, then given up on at the cap")
    func growingDelaysThenGiveUp() {
        var tracker = HealTracker(policy: policy)
        var now = t0
        var restartTimes: [Duration] = []
        var gaveUp = false
        // Observe every second for ten minutes.
        for _ in 0..<600 {
            switch tracker.decide(unhealthy, at: now) {
            case .restart: restartTimes.append(now - t0)
            case .giveUp: gaveUp = true
            default: break
            }
            if gaveUp { break }
            now += .seconds(1)
        }
        #expect(restartTimes.count == 3)
        let gaps = zip(restartTimes.dropFirst(), restartTimes).map { $0 - $1 }
        #expect(gaps.count == 2)
        #expect(gaps[1] > gaps[0])
        #expect(gaveUp)
        #expect(tracker.givenUp)
    }

    @Test(
        "containers already restarting, stopped, or opted out are left alone",
        arguments: [
            HealObservation(health: .unhealthy, state: .restarting),
            HealObservation(health: .unhealthy, state: .exited),
            HealObservation(health: .unhealthy, state: .running, healingDisabled: true),
        ])
    func leftAlone(observation: HealObservation) {
        var tracker = HealTracker(policy: policy)
        guard case .leaveAlone = tracker.decide(observation, at: t0 + .seconds(3600)) else {
            Issue.record("expected leaveAlone for \(observation)")
            return
        }
    }

    @Test("turning healthy resets the grace period and lifts a give-up")
    func recovery() {
        var tracker = HealTracker(policy: HealPolicy(gracePeriod: .seconds(1), initialBackoff: .seconds(1), maxRestarts: 1))
        #expect(tracker.decide(unhealthy, at: t0) != .restart(attempt: 1))
        #expect(tracker.decide(unhealthy, at: t0 + .seconds(1)) == .restart(attempt: 1))
        // Unhealthy again after the restart: a new grace period, then the cap.
        #expect(tracker.decide(unhealthy, at: t0 + .seconds(10)) != .restart(attempt: 2))
        if case .giveUp = tracker.decide(unhealthy, at: t0 + .seconds(11)) {} else { Issue.record("expected give-up at the cap") }
        #expect(tracker.decide(HealObservation(health: .healthy, state: .running), at: t0 + .seconds(11)) == .nothing)
        #expect(!tracker.givenUp)
        #expect(tracker.unhealthySince == nil)
    }

    @Test("restarts older than the window no longer count towards the cap")
    func window() {
        var tracker = HealTracker(policy: HealPolicy(gracePeriod: .zero, initialBackoff: .seconds(1), maxRestarts: 1, window: .seconds(60)))
        #expect(tracker.decide(unhealthy, at: t0) == .restart(attempt: 1))
        #expect(tracker.decide(unhealthy, at: t0 + .seconds(120)) == .restart(attempt: 1))
    }
}
