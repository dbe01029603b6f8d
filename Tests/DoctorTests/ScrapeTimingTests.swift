import Foundation
import Testing

@testable import Doctor

/// The targets check's decision: judge a target that is not up on its last scrape, or wait for
/// the next one because its container started after that scrape.
@Suite("Doctor.scrapeTiming: pending targets")
struct ScrapeTimingTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let interval = Duration.seconds(15)

    static func running(startedSecondsAgo: Double?) -> Doctor.TargetContainer {
        Doctor.TargetContainer(service: "api (rag-app)", running: true, startedAt: startedSecondsAgo.map { now.addingTimeInterval(-$0) })
    }

    static func timing(
        _ health: Doctor.ScrapeHealth = .down, lastScrapeSecondsAgo: Double?, container: Doctor.TargetContainer?,
        interval: Duration = interval, policy: Doctor.PendingScrapeWait = .init()
    ) -> Doctor.ScrapeTiming {
        Doctor.scrapeTiming(
            health: health, lastScrape: lastScrapeSecondsAgo.map { now.addingTimeInterval(-$0) }, container: container,
            interval: interval, now: now, policy: policy)
    }

    @Test("recreated 3 s ago, last (failed) scrape 8 s ago: wait for a scrape after the start, at most interval + slack")
    func restartedAfterLastScrape() {
        // The scrape to judge on must begin after the start plus the 2 s start-up grace.
        let started = Self.now.addingTimeInterval(-3)
        #expect(Self.timing(lastScrapeSecondsAgo: 8, container: Self.running(startedSecondsAgo: 3)) == .waitForScrape(after: started + 2, budget: .seconds(20)))
    }

    @Test("scraped 5 s after the container started and still down: judged now, no waiting")
    func scrapedSinceStart() {
        #expect(Self.timing(lastScrapeSecondsAgo: 5, container: Self.running(startedSecondsAgo: 10)) == .judgeNow)
    }

    @Test("a target that is up is judged now whatever its container did")
    func upIsJudgedNow() {
        #expect(Self.timing(.up, lastScrapeSecondsAgo: 8, container: Self.running(startedSecondsAgo: 3)) == .judgeNow)
    }

    @Test("no container behind the target (external, or not in the manifest): judged now")
    func noContainer() {
        #expect(Self.timing(lastScrapeSecondsAgo: 8, container: nil) == .judgeNow)
    }

    @Test("the container is stopped (or restarting): judged now, even though it started after the last scrape")
    func stoppedContainer() {
        let stopped = Doctor.TargetContainer(service: "api (rag-app)", running: false, startedAt: Self.now.addingTimeInterval(-3))
        #expect(Self.timing(lastScrapeSecondsAgo: 8, container: stopped) == .judgeNow)
    }

    @Test("StartedAt missing or Go's zero time: judged now")
    func missingStartedAt() {
        #expect(Self.timing(lastScrapeSecondsAgo: 8, container: Self.running(startedSecondsAgo: nil)) == .judgeNow)
        let zero = Doctor.TargetContainer(service: "api (rag-app)", running: true, startedAt: Doctor.scrapeDate("0001-01-01T00:00:00Z"))
        #expect(zero.startedAt == nil)
        #expect(Self.timing(lastScrapeSecondsAgo: 8, container: zero) == .judgeNow)
    }

    @Test("never scraped (no lastScrape) while the container runs: wait for the first scrape after its start")
    func neverScraped() {
        let started = Self.now.addingTimeInterval(-600)
        #expect(
            Self.timing(.unknown, lastScrapeSecondsAgo: nil, container: Self.running(startedSecondsAgo: 600))
                == .waitForScrape(after: started + 2, budget: .seconds(20)))
    }

    @Test(
        "clock edges around the start: a scrape at the same instant or within the start-up grace does not count; one just after it does",
        arguments: [(0.0, true), (0.001, true), (1.999, true), (2.0, false), (2.5, false), (-0.001, true)])
    func startupGrace(scrapeAfterStart: Double, waits: Bool) {
        // Started 10 s ago; the last scrape began `scrapeAfterStart` seconds after that.
        let timing = Self.timing(lastScrapeSecondsAgo: 10 - scrapeAfterStart, container: Self.running(startedSecondsAgo: 10))
        if waits {
            guard case .waitForScrape(let after, _) = timing else {
                Issue.record("expected a wait, got \(timing)")
                return
            }
            // The scrape to judge on must begin after the grace, so not the one already seen.
            #expect(after == Self.now.addingTimeInterval(-8))
        } else {
            #expect(timing == .judgeNow)
        }
    }

    @Test("with no start-up grace, a scrape exactly at the start counts as a scrape of the new container")
    func zeroGrace() {
        let policy = Doctor.PendingScrapeWait(startupGrace: .zero)
        #expect(Self.timing(lastScrapeSecondsAgo: 10, container: Self.running(startedSecondsAgo: 10), policy: policy) == .judgeNow)
        #expect(
            Self.timing(lastScrapeSecondsAgo: 10.001, container: Self.running(startedSecondsAgo: 10), policy: policy)
                == .waitForScrape(after: Self.now.addingTimeInterval(-10), budget: .seconds(20)))
    }

    @Test("the container's start lies in the future of this clock (skew): still a bounded wait")
    func startInTheFuture() {
        let timing = Self.timing(lastScrapeSecondsAgo: 4, container: Self.running(startedSecondsAgo: -3))
        #expect(timing == .waitForScrape(after: Self.now.addingTimeInterval(5), budget: .seconds(20)))
        #expect(Doctor.age(Self.now.addingTimeInterval(3), now: Self.now) == "0 s")
    }

    @Test("the wait is the target's interval plus the slack, capped by the limit")
    func budget() {
        let container = Self.running(startedSecondsAgo: 1)
        let after = Self.now.addingTimeInterval(1)
        #expect(Self.timing(lastScrapeSecondsAgo: 1.5, container: container, interval: .seconds(2)) == .waitForScrape(after: after, budget: .seconds(7)))
        let long = Self.timing(lastScrapeSecondsAgo: 30, container: container, interval: .seconds(60))
        #expect(long == .waitForScrape(after: after, budget: .seconds(30)))
        let tight = Self.timing(lastScrapeSecondsAgo: 5, container: container, policy: .init(limit: .seconds(3)))
        #expect(tight == .waitForScrape(after: after, budget: .seconds(3)))
        let none = Self.timing(lastScrapeSecondsAgo: 5, container: container, policy: .init(limit: .zero))
        #expect(none == .waitForScrape(after: after, budget: .zero))
    }

    @Test("last scrape more than two intervals + slack ago and none since the start: Prometheus is overdue, fail now instead of waiting")
    func overdue() {
        let container = Self.running(startedSecondsAgo: 20)
        let last = Self.now.addingTimeInterval(-36)
        #expect(Self.timing(lastScrapeSecondsAgo: 36, container: container) == .overdue(lastScrape: last))
        // Just inside 2 × 15 s + 5 s: still worth a wait.
        #expect(Self.timing(lastScrapeSecondsAgo: 35, container: container) == .waitForScrape(after: Self.now.addingTimeInterval(-18), budget: .seconds(20)))
    }

    @Test("Prometheus' lastScrape with nanoseconds and a zone offset parses; Go's zero time is 'never'")
    func scrapeDates() throws {
        let utc = try #require(Doctor.scrapeDate("2026-11-26T04:22:00.123456789Z"))
        #expect(abs(utc.timeIntervalSince1970 - 1_795_666_920.123457) < 0.001)
        let offset = try #require(Doctor.scrapeDate("2026-11-26T05:22:00.5+01:00"))
        #expect(abs(offset.timeIntervalSince(utc) - 0.376543) < 0.001)
        #expect(Doctor.scrapeDate("0001-01-01T00:00:00Z") == nil)
        #expect(Doctor.scrapeDate(nil) == nil)
    }
}
