import Compose
import DockerEngine
import Foundation
import PrometheusAPI

extension Doctor {
    /// How the targets check treats a target whose container (re)started after Prometheus' last
    /// scrape of it: that scrape says nothing about the new container ("no such host" while it was
    /// being replaced), so the check waits for the next one instead of reporting the target down.
    public struct PendingScrapeWait: Sendable, Equatable {
        /// The longest the check waits for any target (the runner's timeout for the check is this
        /// plus a margin).
        public var limit: Duration
        /// Added to a target's scrape interval: the next scrape may start late and take a while.
        public var slack: Duration
        /// The interval assumed when Prometheus does not report a target's `scrapeInterval`.
        public var fallbackInterval: Duration
        /// A scrape that began this soon after the container started may have found it not yet
        /// listening ("connection refused"), so it does not count as a scrape of the new container.
        public var startupGrace: Duration
        /// Pause between two reads of `/api/v1/targets` while waiting.
        public var pollInterval: Duration

        public init(
            limit: Duration = .seconds(30), slack: Duration = .seconds(5), fallbackInterval: Duration = .seconds(15),
            startupGrace: Duration = .seconds(2), pollInterval: Duration = .milliseconds(500)
        ) {
            self.limit = limit
            self.slack = slack
            self.fallbackInterval = fallbackInterval
            self.startupGrace = startupGrace
            self.pollInterval = pollInterval
        }
    }

    /// A target's health as Prometheus reports it (`up`, `down`, `unknown`).
    public typealias ScrapeHealth = PrometheusAPI.Target.Health

    /// When to judge a target that is not up.
    public enum ScrapeTiming: Sendable, Equatable {
        /// On its last scrape, as it is: it is up, has no container, its container is not running
        /// or has no start time, or Prometheus has scraped it since the container started.
        case judgeNow
        /// Its container started after the last scrape: wait up to `budget` for a scrape that began
        /// after `after` (the start plus the start-up grace), and judge on that one.
        case waitForScrape(after: Date, budget: Duration)
        /// Its container started after the last scrape, and that scrape (at `lastScrape`) is over
        /// two intervals old: Prometheus is not scraping it, waiting would not help.
        case overdue(lastScrape: Date)
    }

    /// The container behind a target, as far as the decision needs it.
    public struct TargetContainer: Sendable, Equatable {
        /// How to name it to a person: `api (rag-app)`.
        public var service: String
        public var running: Bool
        /// `State.StartedAt`; nil when missing or Go's zero time.
        public var startedAt: Date?

        public init(service: String, running: Bool, startedAt: Date?) {
            self.service = service
            self.running = running
            self.startedAt = startedAt
        }
    }

    /// Decides whether a target's last scrape can be trusted to judge it. Pure: `now` is the
    /// caller's clock, the dates come from Prometheus (`lastScrape`) and the engine (`StartedAt`).
    public static func scrapeTiming(
        health: ScrapeHealth, lastScrape: Date?, container: TargetContainer?,
        interval: Duration, now: Date, policy: PendingScrapeWait = .init()
    ) -> ScrapeTiming {
        guard health != .up, let container, container.running, let started = container.startedAt else { return .judgeNow }
        if let lastScrape, lastScrape >= started.addingTimeInterval(policy.startupGrace.timeInterval) { return .judgeNow }
        if let lastScrape, now.timeIntervalSince(lastScrape) > (interval * 2 + policy.slack).timeInterval {
            return .overdue(lastScrape: lastScrape)
        }
        // The scrape to judge on must begin after the start-up grace too, for the same reason.
        return .waitForScrape(after: started.addingTimeInterval(policy.startupGrace.timeInterval), budget: min(policy.limit, interval + policy.slack))
    }

    /// What the wait found for one pending target.
    enum PendingOutcome: Sendable {
        /// A scrape that began after the container started: the target as it is now.
        case scraped(PrometheusAPI.Target)
        /// No such scrape before the budget ran out.
        case notScraped
    }

    /// Identifies a target across reads of `/api/v1/targets`.
    struct TargetKey: Hashable, Sendable {
        var pool: String
        var url: String
        init(_ target: PrometheusAPI.Target) {
            pool = target.scrapePool
            url = target.scrapeUrl
        }
    }

    /// Polls `/api/v1/targets` until each pending target has a scrape that began after its `after`,
    /// or its own deadline passes. All targets are waited for together, in one polling loop.
    static func awaitScrapes(
        _ prometheus: PrometheusAPI.Client, pending: [TargetKey: (after: Date, budget: Duration)],
        pollInterval: Duration
    ) async -> [TargetKey: PendingOutcome] {
        let clock = ContinuousClock()
        let start = clock.now
        var waiting = pending.mapValues { (after: $0.after, deadline: start + $0.budget) }
        var outcomes: [TargetKey: PendingOutcome] = [:]
        while !waiting.isEmpty {
            if let targets = try? await prometheus.targets().activeTargets {
                for target in targets {
                    let key = TargetKey(target)
                    guard let wait = waiting[key], let last = scrapeDate(target.lastScrape), last > wait.after else { continue }
                    outcomes[key] = .scraped(target)
                    waiting[key] = nil
                }
            }
            let now = clock.now
            waiting = waiting.filter { $0.value.deadline > now }
            guard let next = waiting.values.map(\.deadline).min(), !Task.isCancelled else { break }
            try? await Task.sleep(for: min(pollInterval, next - now))
        }
        for key in pending.keys where outcomes[key] == nil { outcomes[key] = .notScraped }
        return outcomes
    }

    /// The container behind a target: the manifest names the job's compose project and service;
    /// the engine has its containers (the running one started last, when scaled). Nil when the
    /// job is not in the manifest, the service has no container, or the engine does not answer.
    static func targetContainer(_ engine: DockerEngine.Client, target: PrometheusAPI.Target, manifest: Manifest) async -> TargetContainer? {
        guard let job = target.job, let expected = manifest.target(job: job) else { return nil }
        guard
            let summaries = try? await engine.listContainers(
                all: true,
                filters: DockerEngine.Filters()
                    .composeProject(expected.project).composeService(expected.service))
        else { return nil }
        var best: TargetContainer?
        for summary in summaries {
            guard let state = (try? await engine.inspectContainer(summary.id))?.state else { continue }
            let candidate = TargetContainer(
                service: "\(expected.service) (\(expected.project))",
                running: state.running == true && state.restarting != true,
                startedAt: state.startedAt.flatMap(ContainerStatsResponse.parseTime))
            if let current = best {
                let newer = (candidate.startedAt ?? .distantPast) > (current.startedAt ?? .distantPast)
                if (candidate.running && !current.running) || (candidate.running == current.running && newer) { best = candidate }
            } else {
                best = candidate
            }
        }
        return best
    }

    /// Prometheus' `lastScrape` (RFC 3339 with nanoseconds); nil for Go's zero time (never scraped).
    static func scrapeDate(_ text: String?) -> Date? {
        text.flatMap(ContainerStatsResponse.parseTime)
    }

    /// "12 s" for the time from `date` to `now`, never negative.
    static func age(_ date: Date, now: Date) -> String {
        "\(max(0, Int(now.timeIntervalSince(date).rounded()))) s"
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
