import Compose
import Foundation
import PrometheusAPI

extension Doctor {
    /// Prometheus: ready, configuration loaded, 15 s scrape interval, every target up —
    /// "Check Prometheus targets: http://localhost:9090/targets".
    static func prometheusChecks(_ prometheus: PrometheusAPI.Client, manifest: Manifest) -> [Check] {
        let url = prometheus.endpoint
        return [
            Check(.prometheus, "ready") {
                do {
                    guard try await prometheus.ready() else {
                        return .failure("Prometheus at \(url) is not ready", remedy: ["it may still be replaying its WAL; if not, read its log: stackpilot logs prometheus"])
                    }
                } catch {
                    return .failure("Prometheus does not answer at \(url)", evidence: ["\(error)"], remedy: [
                        "is it running? stackpilot ps", "start it: stackpilot up",
                    ], fix: nil)
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
                    return .failure("Prometheus has no scrape job for \(missingJobs.joined(separator: ", "))", evidence: evidence,
                                    remedy: ["add the jobs to stacks/prometheus/prometheus.yml and reload Prometheus (stackpilot up recreates it when the file changed)"])
                }
                if interval != .seconds(15) {
                    return .warning("the scrape interval is \(seconds(interval)), the guide sets 15 s", evidence: evidence,
                                    remedy: ["set global.scrape_interval: 15s in the Prometheus configuration"])
                }
                return .ok("configuration loaded, \(jobs.count) jobs, scrape interval 15 s", evidence: evidence)
            },
            Check(.prometheus, "targets") {
                let targets = try await prometheus.targets().activeTargets
                let down = targets.filter { $0.health != .up }
                let evidence = targets.map { "\($0.job ?? "?") \($0.scrapeUrl): \($0.health.rawValue)\($0.lastError.isEmpty ? "" : " — \($0.lastError)")" }
                let expected = manifest.targets.map(\.job)
                let seen = Set(targets.compactMap(\.job))
                let absent = expected.filter { !seen.contains($0) }
                if !down.isEmpty {
                    return .failure("\(down.count) of \(targets.count) targets are not up: \(down.compactMap(\.job).joined(separator: ", "))",
                                    evidence: evidence, remedy: [
                                        "a target that is down cannot be scraped: is the service running (stackpilot ps) and on Prometheus' network?",
                                        "lastError says why; 'connection refused' means the service is not listening, 'no such host' that it is not on the network",
                                    ] + down.compactMap { diagnosis($0, manifest: manifest) })
                }
                if !absent.isEmpty {
                    return .failure("Prometheus has no target for \(absent.joined(separator: ", "))", evidence: evidence,
                                    remedy: ["add the jobs to stacks/prometheus/prometheus.yml"])
                }
                if targets.contains(where: { $0.health == .unknown }) {
                    return .warning("some targets have not been scraped yet", evidence: evidence, remedy: ["wait one scrape interval"])
                }
                return .ok("all \(targets.count) targets are up", evidence: evidence)
            },
        ]
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
