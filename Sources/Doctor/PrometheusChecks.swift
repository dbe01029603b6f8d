import Compose
import DockerEngine
import Durations
import Foundation
import PrometheusAPI

extension Doctor {
    /// Prometheus: ready, configuration loaded, 15 s scrape interval, every target up —
    /// "Check Prometheus targets: http://localhost:9090/targets".
    /// With `engine`, a target that is not up but whose container started after its last scrape is
    /// judged on its next scrape (see `PendingScrapeWait`); without, every target on its last one.
    static func prometheusChecks(
        _ prometheus: PrometheusAPI.Client, manifest: Manifest, engine: DockerEngine.Client? = nil,
        pendingScrapes: PendingScrapeWait = .init()
    ) -> [Check] {
        let url = prometheus.endpoint
        return [
            Check(.prometheus, "ready") {
                do {
                    guard try await prometheus.ready() else {
                        return .failure(
                            "Prometheus at \(url) is not ready",
                            remedy: ["it may still be replaying its WAL; if not, read its log: stackpilot logs prometheus"],
                            code: "prometheus.ready.notReady")
                    }
                } catch {
                    return .failure(
                        "Prometheus does not answer at \(url)", evidence: ["\(error)"],
                        remedy: [
                            "is it running? stackpilot ps", "start it: stackpilot up",
                        ], fix: nil, code: "prometheus.ready.unreachable")
                }
                let info = try? await prometheus.buildInfo()
                return .ok("Prometheus \(info?.version ?? "") is ready at \(url)")
            },
            Check(.prometheus, "configuration") {
                let config = try await prometheus.config()
                let interval = config.globalScrapeInterval
                let jobs = config.jobs.map(\.name)
                let expected = manifest.targets.map(\.job)
                let missingJobs = expected.filter { !jobs.contains($0) }
                var evidence = ["global scrape_interval \(seconds(interval)), jobs: \(jobs.joined(separator: ", "))"]
                for job in config.jobs where job.scrapeInterval != interval {
                    evidence.append("job \(job.name) scrapes every \(seconds(job.scrapeInterval))")
                }
                if !missingJobs.isEmpty {
                    return .failure(
                        "Prometheus has no scrape job for \(missingJobs.joined(separator: ", "))", evidence: evidence,
                        remedy: ["add the jobs to stacks/prometheus/prometheus.yml and reload Prometheus (stackpilot up recreates it when the file changed)"],
                        code: "prometheus.configuration.missingJobs")
                }
                if interval != .seconds(15) {
                    return .warning(
                        "the scrape interval is \(seconds(interval)), the guide sets 15 s", evidence: evidence,
                        remedy: ["set global.scrape_interval: 15s in the Prometheus configuration"],
                        code: "prometheus.configuration.interval")
                }
                return .ok("configuration loaded, \(jobs.count) jobs, scrape interval 15 s", evidence: evidence)
            },
            Check(.prometheus, "targets", timeout: pendingScrapes.limit + .seconds(10)) {
                try await targetsFinding(prometheus, manifest: manifest, engine: engine, policy: pendingScrapes)
            },
        ]
    }

    /// Every target up. A target down whose container (re)started after Prometheus' last scrape
    /// of it is pending: the check waits for its next scrape and judges on that one.
    static func targetsFinding(
        _ prometheus: PrometheusAPI.Client, manifest: Manifest, engine: DockerEngine.Client?,
        policy: PendingScrapeWait
    ) async throws -> Finding {
        var targets = try await prometheus.targets().activeTargets
        /// Targets Prometheus has not scraped since their container started: their summary part.
        var unscraped: [TargetKey: String] = [:]
        /// Per target, what the wait found, for the evidence.
        var notes: [TargetKey: String] = [:]
        var intervals: [TargetKey: Duration] = [:]

        let notUp = targets.filter { $0.health != .up }
        if let engine, !notUp.isEmpty {
            let containers = await withTaskGroup(of: (TargetKey, TargetContainer?).self) { group in
                for target in notUp {
                    group.addTask { (TargetKey(target), await targetContainer(engine, target: target, manifest: manifest)) }
                }
                var found: [TargetKey: TargetContainer] = [:]
                for await (key, container) in group { found[key] = container }
                return found
            }
            let now = Date()
            var pending: [TargetKey: (after: Date, budget: Duration)] = [:]
            for target in notUp {
                let key = TargetKey(target)
                let interval = target.scrapeInterval.flatMap(PrometheusDuration.parse) ?? policy.fallbackInterval
                intervals[key] = interval
                let container = containers[key]
                switch scrapeTiming(
                    health: target.health, lastScrape: scrapeDate(target.lastScrape), container: container,
                    interval: interval, now: now, policy: policy)
                {
                case .judgeNow:
                    break
                case .overdue(let lastScrape):
                    let name = target.job ?? target.scrapeUrl
                    let started = container?.startedAt ?? now
                    unscraped[key] = "Prometheus has not scraped \(name) since \(container?.service ?? "its container") started \(age(started, now: now)) ago"
                    notes[key] =
                        "\(name): not scraped since \(container?.service ?? "its container") started \(age(started, now: now)) ago; "
                        + "its last scrape was \(age(lastScrape, now: now)) ago, it is scraped every \(seconds(interval))"
                case .waitForScrape(let after, let budget):
                    pending[key] = (after, budget)
                }
            }
            if !pending.isEmpty {
                let outcomes = await awaitScrapes(prometheus, pending: pending, pollInterval: policy.pollInterval)
                let now = Date()
                for (index, target) in targets.enumerated() {
                    let key = TargetKey(target)
                    guard let outcome = outcomes[key], let container = containers[key] else { continue }
                    let name = target.job ?? target.scrapeUrl
                    let since = "since \(container.service) started \(age(container.startedAt ?? now, now: now)) ago"
                    switch outcome {
                    case .scraped(let fresh):
                        targets[index] = fresh
                        notes[key] =
                            fresh.health == .up
                            ? "\(name): up at its first scrape \(since)" : "\(name): still \(fresh.health.rawValue) at its first scrape \(since)"
                    case .notScraped:
                        let waited = seconds(pending[key]?.budget ?? .zero)
                        unscraped[key] = "Prometheus has not scraped \(name) \(since); no new scrape within \(waited)"
                        notes[key] =
                            "\(name): not scraped \(since) (waited \(waited), it is scraped every \(seconds(intervals[key] ?? policy.fallbackInterval)))"
                    }
                }
            }
        }

        var evidence = targets.map { "\($0.job ?? "?") \($0.scrapeUrl): \($0.health.rawValue)\($0.lastError.isEmpty ? "" : " — \($0.lastError)")" }
        evidence += targets.compactMap { notes[TargetKey($0)] }
        let expected = manifest.targets.map(\.job)
        let seen = Set(targets.compactMap(\.job))
        let absent = expected.filter { !seen.contains($0) }
        let down = targets.filter { $0.health != .up && unscraped[TargetKey($0)] == nil }
        if !down.isEmpty || !unscraped.isEmpty {
            var summary: [String] = []
            var remedy: [String] = []
            if !down.isEmpty {
                summary.append("\(down.count) of \(targets.count) targets are not up: \(down.compactMap(\.job).joined(separator: ", "))")
                remedy +=
                    [
                        "a target that is down cannot be scraped: is the service running (stackpilot ps) and on Prometheus' network?",
                        "lastError says why; 'connection refused' means the service is not listening, 'no such host' that it is not on the network",
                    ] + down.compactMap { diagnosis($0, manifest: manifest) }
            }
            if !unscraped.isEmpty {
                summary += targets.compactMap { unscraped[TargetKey($0)] }
                remedy += [
                    "Prometheus scrapes each target on its interval; when it does not, look at Prometheus: \(prometheus.endpoint)/targets and its log (stackpilot logs prometheus)",
                    "if Prometheus is only slow (a loaded machine), run stackpilot doctor again in a minute",
                ]
            }
            // Down decides the code when both hold: a target that is down is the louder problem.
            return .failure(
                summary.joined(separator: "; "), evidence: evidence, remedy: remedy,
                code: down.isEmpty ? "prometheus.targets.notScraped" : "prometheus.targets.down")
        }
        if !absent.isEmpty {
            return .failure(
                "Prometheus has no target for \(absent.joined(separator: ", "))", evidence: evidence,
                remedy: ["add the jobs to stacks/prometheus/prometheus.yml"], code: "prometheus.targets.absent")
        }
        if targets.contains(where: { $0.health == .unknown }) {
            return .warning(
                "some targets have not been scraped yet", evidence: evidence, remedy: ["wait one scrape interval"],
                code: "prometheus.targets.unknown")
        }
        return .ok("all \(targets.count) targets are up", evidence: evidence)
    }

    /// What a down target's lastError most likely means, in terms of the manifest's service.
    static func diagnosis(_ target: PrometheusAPI.Target, manifest: Manifest) -> String? {
        guard let job = target.job, let expected = manifest.target(job: job) else { return nil }
        let error = target.lastError.lowercased()
        let service = "\(expected.service) (\(expected.project))"
        if error.contains("no such host") || error.contains("server misbehaving") {
            return "\(job): \(service) is not running or not on the network \(manifest.network) — see its stacks check"
        }
        if error.contains("connection refused") {
            return "\(job): \(service) runs but nothing listens on \(expected.address)"
        }
        if error.contains("deadline exceeded") || error.contains("timeout") {
            return "\(job): \(service) does not answer in time — hung or overloaded (its healthcheck and stackpilot stats say which)"
        }
        if error.contains("server returned http status") {
            return "\(job): \(service) answers, but not with metrics at \(target.scrapeUrl)"
        }
        return nil
    }

    static func seconds(_ duration: Duration) -> String {
        let s = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}
