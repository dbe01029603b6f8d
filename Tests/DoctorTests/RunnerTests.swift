import Synchronization
import Testing

@testable import Doctor

@Suite("Doctor.Runner")
struct RunnerTests {
    @Test("a check that never answers becomes a failure naming the timeout, and does not hold up the others")
    func hungCheckTimesOut() async throws {
        let hung = Doctor.Check(.prometheus, "hung", timeout: .milliseconds(200)) {
            // Ignores cancellation on purpose, as a blocked C call would.
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            return .ok("never")
        }
        let fine = Doctor.Check(.engine, "fine") { .ok("answered") }
        let report = await Doctor.Runner().run([hung, fine])
        #expect(report.results.map(\.check) == ["hung", "fine"])
        let first = try #require(report.results.first)
        #expect(first.finding.status == .failure)
        #expect(first.finding.code == "check.timedOut")
        #expect(report.results[1].finding.status == .ok)
        #expect(report.hasFailure)
    }

    @Test("checks run concurrently: one can wait for another to start")
    func concurrent() async {
        let started = Signal()
        let waiter = Doctor.Check(.stacks, "waits", timeout: .seconds(20)) {
            await started.wait()
            return .ok("the other check started while this one ran")
        }
        let starter = Doctor.Check(.stacks, "starts") {
            started.fire()
            return .ok("started")
        }
        let report = await Doctor.Runner().run([waiter, starter])
        #expect(report.results.allSatisfy { $0.finding.status == .ok })
    }

    @Test("a check that throws becomes a failure carrying the error")
    func throwingCheck() async {
        struct Boom: Error, CustomStringConvertible { var description: String { "engine said no" } }
        let report = await Doctor.Runner().run([Doctor.Check(.engine, "throws") { throw Boom() }])
        #expect(report.results[0].finding.status == .failure)
        #expect(report.results[0].finding.code == "check.threw")
        #expect(report.results[0].finding.evidence.contains("engine said no"))
    }

    @Test(
        "the worst status decides, not-applicable is not a problem",
        arguments: [
            ([Doctor.Status.ok, .notApplicable], Doctor.Status.notApplicable, false),
            ([.ok, .warning], .warning, false),
            ([.warning, .failure, .ok], .failure, true),
        ])
    func worst(statuses: [Doctor.Status], worst: Doctor.Status, failed: Bool) {
        let report = Doctor.Report(
            results: statuses.enumerated().map {
                Doctor.Result(group: .engine, check: "c\($0.offset)", finding: Doctor.Finding($0.element, "x"), duration: .zero)
            })
        #expect(report.worst == worst)
        #expect(report.hasFailure == failed)
    }
}

/// A one-shot signal between two tasks.
final class Signal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { s in
            s.fired = true
            defer { s.waiters = [] }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { c in
            let ready = state.withLock { s in
                if s.fired { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }
}

@Suite("Doctor alert remedies")
struct AlertRemedyTests {
    @Test("Grafana templates in a rule's description become the observed value and plain words")
    func template() {
        let text = Doctor.renderTemplate("{{ $labels.instance }} has been {{ $values.B }} % busy. Find the busy container.", value: 93.456)
        #expect(text == "The instance has been 93.46 % busy. Find the busy container.")
        #expect(!Doctor.renderTemplate("p95 is {{ $values.B }} s; {{ humanize 3 }}", value: 6).contains("{{"))
    }
}
