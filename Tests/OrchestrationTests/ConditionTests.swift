import Testing
@testable import Orchestration

@Suite("Orchestration depends_on conditions")
struct ConditionTests {
    typealias O = Orchestration

    struct Case: Sendable, CustomTestStringConvertible {
        var state: O.ContainerState
        var health: O.HealthState
        var exitCode: Int
        var condition: O.DependencyCondition
        var expected: String // met, pending, failed
        var testDescription: String { "\(condition.rawValue): \(state.rawValue)/\(health.rawValue)/\(exitCode) -> \(expected)" }
    }

    @Test("each container state meets, fails or postpones each condition", arguments: [
        Case(state: .running, health: .none, exitCode: 0, condition: .serviceStarted, expected: "met"),
        Case(state: .created, health: .none, exitCode: 0, condition: .serviceStarted, expected: "pending"),
        Case(state: .exited, health: .none, exitCode: 1, condition: .serviceStarted, expected: "failed"),
        Case(state: .running, health: .starting, exitCode: 0, condition: .serviceHealthy, expected: "pending"),
        Case(state: .running, health: .healthy, exitCode: 0, condition: .serviceHealthy, expected: "met"),
        Case(state: .running, health: .unhealthy, exitCode: 0, condition: .serviceHealthy, expected: "failed"),
        Case(state: .exited, health: .none, exitCode: 1, condition: .serviceHealthy, expected: "failed"),
        Case(state: .running, health: .none, exitCode: 0, condition: .serviceCompletedSuccessfully, expected: "pending"),
        Case(state: .exited, health: .none, exitCode: 0, condition: .serviceCompletedSuccessfully, expected: "met"),
        Case(state: .exited, health: .none, exitCode: 3, condition: .serviceCompletedSuccessfully, expected: "failed"),
    ])
    func evaluate(_ c: Case) {
        let d = O.ContainerDetails(id: "x", name: "sp-x-1", state: c.state, health: c.health, exitCode: c.exitCode)
        let result = O.Executor.evaluate(d, condition: c.condition)
        switch (result, c.expected) {
        case (.met, "met"), (.pending, "pending"), (.failed, "failed"): break
        default: Issue.record("got \(result), expected \(c.expected)")
        }
    }

    @Test("an OOM kill is named in the failure reason and the state")
    func oom() {
        let d = O.ContainerDetails(id: "x", name: "sp-x-1", state: .exited, exitCode: 137, oomKilled: true)
        #expect(O.Executor.evaluate(d, condition: .serviceCompletedSuccessfully) == .failed("it was killed for running out of memory (OOMKilled)"))
        #expect(d.stateDescription == "exited (137, OOMKilled)")
    }

    @Test("the dependency failure message names container, state, dependents and log lines")
    func message() {
        let e = OrchestrationError.dependencyFailed(service: "db", container: "sp-db-1", state: "exited (1)", reason: "it exited with code 1", logTail: ["fatal: no config"], dependents: ["sp-api-1"])
        let text = e.description
        #expect(text.contains("sp-db-1"))
        #expect(text.contains("exited (1)"))
        #expect(text.contains("left created but not started: sp-api-1"))
        #expect(text.contains("| fatal: no config"))
        #expect(!e.isBadInput)
        #expect(OrchestrationError.preflight(["x"]).isBadInput)
    }
}
