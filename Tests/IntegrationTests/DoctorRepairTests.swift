import Foundation
import Synchronization
import Testing

@testable import Doctor

/// `doctor --fix`'s re-checking after a repair (no engine needed: the checks are closures whose
/// verdict changes over time, like a Prometheus target that is up again after its next scrape).
@Suite("Doctor.Runner.recheckFailures")
struct DoctorRepairTests {
    /// A check that fails its first `failures` runs, then passes; counts its runs.
    final class Flaky: Sendable {
        let runs = Mutex(0)
        let failures: Int
        init(failures: Int) { self.failures = failures }

        func check(_ group: Doctor.Group, _ name: String) -> Doctor.Check {
            Doctor.Check(group, name) {
                let run = self.runs.withLock {
                    $0 += 1; return $0
                }
                return run <= self.failures ? .failure("not yet (run \(run))") : .ok("fine (run \(run))")
            }
        }
        var count: Int { runs.withLock { $0 } }
    }

    @Test("failing checks of the given groups are run again until they pass; passing ones and other groups are not run again")
    func recoversFailures() async throws {
        let target = Flaky(failures: 3)
        let passing = Flaky(failures: 0)
        let alert = Flaky(failures: 100)
        let checks = [target.check(.prometheus, "targets"), passing.check(.stacks, "p/api"), alert.check(.alerts, "high-cpu-usage")]
        let runner = Doctor.Runner()
        let first = await runner.run(checks)
        #expect(first.results.map(\.finding.status) == [.failure, .ok, .failure])

        let report = await runner.recheckFailures(
            first, checks: checks, groups: [.stacks, .prometheus], timeout: .seconds(60), pollInterval: .milliseconds(10))
        #expect(report.results.map(\.check) == ["targets", "p/api", "high-cpu-usage"])
        #expect(report.results[0].finding.status == .ok)
        #expect(report.results[0].finding.summary == "fine (run 4)")
        #expect(target.count == 4)
        #expect(passing.count == 1, "a passing check is not run again")
        #expect(alert.count == 1, "a group outside the given ones is not waited for")
        #expect(report.results[2].finding.status == .failure)
    }

    @Test("a check that keeps failing is given up on when the time is up, with its last finding")
    func givesUp() async throws {
        let stuck = Flaky(failures: .max)
        let checks = [stuck.check(.metrics, "api")]
        let runner = Doctor.Runner()
        let first = await runner.run(checks)
        let report = await runner.recheckFailures(first, checks: checks, groups: [.metrics], timeout: .seconds(1), pollInterval: .milliseconds(20))
        #expect(report.results[0].finding.status == .failure)
        // The first round starts right after the deadline is set, so there is at least one retry
        // however slow the machine (how many more depends on its load).
        #expect(stuck.count >= 2, "it was retried")
        #expect(report.results[0].finding.summary == "not yet (run \(stuck.count))")
    }

    @Test("a failure whose check is not in the list is left as it is, without waiting out the timeout", .timeLimit(.minutes(1)))
    func unknownCheck() async throws {
        let report = Doctor.Report(results: [Doctor.Result(group: .grafana, check: "gone", finding: .failure("x"), duration: .zero)])
        let after = await Doctor.Runner().recheckFailures(report, checks: [], groups: [.grafana], timeout: .seconds(3600), pollInterval: .seconds(1))
        #expect(after == report)
    }
}
