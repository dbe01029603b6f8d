import DockerEngine
import Foundation
import Testing

@testable import Orchestration

@Suite("Orchestration depends_on conditions")
struct ConditionTests {
    typealias O = Orchestration

    struct Case: Sendable, CustomTestStringConvertible {
        var state: DockerEngine.ContainerState
        var health: DockerEngine.HealthStatus
        var exitCode: Int
        var condition: O.DependencyCondition
        var expected: String  // met, pending, failed
        var testDescription: String { "\(condition.rawValue): \(state.rawValue)/\(health.rawValue)/\(exitCode) -> \(expected)" }
    }

    @Test(
        "each container state meets, fails or postpones each condition",
        arguments: [
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
        let d = Self.inspect(c.state, health: c.health, exitCode: c.exitCode)
        let result = O.Readiness.evaluate(d, goal: .dependency(c.condition))
        switch (result, c.expected) {
        case (.met, "met"), (.pending, "pending"), (.failed, "failed"): break
        default: Issue.record("got \(result), expected \(c.expected)")
        }
    }

    @Test("an OOM kill is named in the failure reason and the state")
    func oom() {
        let d = Self.inspect(.exited, exitCode: 137, oomKilled: true)
        #expect(O.Readiness.evaluate(d, goal: .dependency(.serviceCompletedSuccessfully)) == .failed("it was killed for running out of memory (OOMKilled)"))
        #expect(d.stateDescription == "exited (137, OOMKilled)")
    }

    static func inspect(
        _ state: DockerEngine.ContainerState, health: DockerEngine.HealthStatus = .none, exitCode: Int = 0, oomKilled: Bool = false, restartCount: Int = 0
    ) -> DockerEngine.ContainerInspect {
        DockerEngine.ContainerInspect(
            id: "x", name: "/sp-x-1",
            state: .init(status: state, exitCode: exitCode, oomKilled: oomKilled, health: health == .none ? nil : .init(status: health)),
            restartCount: restartCount)
    }

    struct ReadyCase: Sendable, CustomTestStringConvertible {
        var state: DockerEngine.ContainerState
        var health: DockerEngine.HealthStatus
        var exitCode: Int
        var oomKilled = false
        var expected: DockerEngine.Readiness
        var testDescription: String { "\(state.rawValue)/\(health.rawValue)/\(exitCode)\(oomKilled ? "/OOM" : "") -> \(expected)" }
    }

    @Test(
        "the one readiness judge: running and healthy (or without healthcheck) is ready, exit 0 completed",
        arguments: [
            ReadyCase(state: .running, health: .none, exitCode: 0, expected: .ready),
            ReadyCase(state: .running, health: .healthy, exitCode: 0, expected: .ready),
            ReadyCase(state: .running, health: .unknown, exitCode: 0, expected: .ready),
            ReadyCase(state: .running, health: .starting, exitCode: 0, expected: .pending),
            ReadyCase(state: .running, health: .unhealthy, exitCode: 0, expected: .unhealthy),
            ReadyCase(state: .restarting, health: .none, exitCode: 3, expected: .pending),
            ReadyCase(state: .created, health: .none, exitCode: 0, expected: .pending),
            ReadyCase(state: .paused, health: .healthy, exitCode: 0, expected: .pending),
            ReadyCase(state: .exited, health: .none, exitCode: 0, expected: .completed),
            ReadyCase(state: .exited, health: .none, exitCode: 0, oomKilled: true, expected: .failed(exitCode: 0, oomKilled: true)),
            ReadyCase(state: .dead, health: .none, exitCode: 2, expected: .failed(exitCode: 2, oomKilled: false)),
            ReadyCase(state: .unknown, health: .none, exitCode: 0, expected: .pending),
        ])
    func judge(_ c: ReadyCase) {
        #expect(Self.inspect(c.state, health: c.health, exitCode: c.exitCode, oomKilled: c.oomKilled).readiness == c.expected)
    }

    @Test(
        "--wait and service_healthy both fail a crash loop after two restarts; service_started does not",
        arguments: [
            (O.Readiness.Goal.ready, true), (.dependency(.serviceHealthy), true), (.dependency(.serviceStarted), false),
        ])
    func crashLoop(_ goal: O.Readiness.Goal, detects: Bool) {
        let d = Self.inspect(.restarting, exitCode: 3, restartCount: 5)
        let evaluation = O.Readiness.evaluate(d, goal: goal, restartCountBefore: 3)
        if detects {
            #expect(evaluation == .failed("it keeps restarting (restarted 2 times while waiting, last exit code 3)"))
        } else {
            #expect(evaluation == .met)
        }
        #expect(O.Readiness.evaluate(d, goal: goal, restartCountBefore: 4) == (detects ? .pending : .met))
    }

    @Test("engine values this client does not know decode as unknown, not as an error")
    func unknownValues() throws {
        let json = #"{"Id":"x","State":{"Status":"hibernating","Health":{"Status":"sleepy"}}}"#
        let d = try JSONDecoder().decode(DockerEngine.ContainerInspect.self, from: Data(json.utf8))
        #expect(d.containerState == .unknown)
        #expect(d.healthStatus == .unknown)
        let summary = try JSONDecoder().decode(
            DockerEngine.ContainerSummary.self, from: Data(#"{"Id":"y","Names":["/y"],"State":"running","Status":"Up 2 minutes (healthy)"}"#.utf8))
        #expect(summary.containerState == .running)
        #expect(summary.healthStatus == .healthy)
    }

    @Test("the dependency failure message names container, state, dependents and log lines")
    func message() {
        let e = OrchestrationError.dependencyFailed(
            service: "db", container: "sp-db-1", state: "exited (1)", reason: "it exited with code 1", logTail: ["fatal: no config"], dependents: ["sp-api-1"])
        let text = e.description
        #expect(text.contains("sp-db-1"))
        #expect(text.contains("exited (1)"))
        #expect(text.contains("left created but not started: sp-api-1"))
        #expect(text.contains("| fatal: no config"))
        #expect(!e.isBadInput)
        #expect(OrchestrationError.preflight(["x"]).isBadInput)
    }
}
