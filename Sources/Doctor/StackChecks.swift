import Compose
import DockerEngine
import Foundation

extension Doctor {
    /// Stacks: every service of the manifest exists, runs, and is healthy where it has a
    /// healthcheck — "Check if Prometheus is running: docker-compose ps", for every service.
    static func stackChecks(_ engine: DockerEngine.Client, projects: [ComposeProject]) -> [Check] {
        projects.flatMap { project in
            project.services.map { service in
                Check(.stacks, "\(project.name)/\(service.name)") {
                    try await serviceFinding(engine, project: project.name, service: service)
                }
            }
        }
    }

    static func serviceFinding(_ engine: DockerEngine.Client, project: String, service: ServiceConfig) async throws -> Finding {
        let containers = try await engine.listContainers(
            all: true,
            filters: DockerEngine.Filters()
                .composeProject(project).composeService(service.name))
        guard let summary = containers.first else {
            return .failure(
                "\(service.name) has no container",
                evidence: ["no container labelled \(DockerEngine.ComposeLabels.project)=\(project), service=\(service.name)"],
                remedy: ["start the deployment: stackpilot up"])
        }
        let container = try await engine.inspectContainer(summary.id)
        let name = summary.name
        let state = container.state
        let restarts = container.restartCount ?? 0
        var evidence = [
            "container \(name) (\(String(summary.id.prefix(12)))): \(state?.status?.rawValue ?? "unknown")\(summary.status.map { ", \($0)" } ?? "")"
        ]
        if restarts > 0 { evidence.append("restarted \(restarts) time\(restarts == 1 ? "" : "s")") }

        func problemEvidence() async -> [String] {
            var lines = evidence
            if let code = state?.exitCode, state?.running != true { lines.append("last exit code \(code)\(exitCodeMeaning(code))") }
            if state?.oomKilled == true { lines.append("OOMKilled: the kernel killed it for exceeding its memory limit") }
            if let error = state?.error, !error.isEmpty { lines.append("engine error: \(error)") }
            if let log = state?.health?.log?.last, let output = log.output?.trimmingCharacters(in: .whitespacesAndNewlines), !output.isEmpty {
                lines.append("last healthcheck (exit \(log.exitCode ?? -1)): \(output.prefix(300))")
            }
            if let tail = try? await logTail(engine, id: summary.id, lines: 10), !tail.isEmpty {
                lines.append("last log lines:")
                lines.append(contentsOf: tail.map { "  \($0)" })
            }
            return lines
        }

        if state?.restarting == true {
            return .failure(
                "\(service.name) is restarting (crash loop)", evidence: await problemEvidence(),
                remedy: ["read its log: stackpilot logs \(service.name)", "fix what makes it exit; the restart policy keeps restarting it"])
        }
        if state?.running != true {
            let oom = state?.oomKilled == true
            return .failure(
                "\(service.name) is not running (\(state?.status?.rawValue ?? "unknown"))", evidence: await problemEvidence(),
                remedy: [
                    oom
                        ? "raise its memory limit (deploy.resources.limits.memory) or find what grows: stackpilot stats"
                        : "read why it stopped: stackpilot logs \(service.name)",
                    "start it again: stackpilot up",
                ], fix: .startContainer(id: summary.id, service: service.name))
        }
        switch container.healthStatus {
        case .unhealthy:
            let streak = state?.health?.failingStreak ?? 0
            return .failure(
                "\(service.name) is running but unhealthy (\(streak) failed healthchecks in a row)", evidence: await problemEvidence(),
                remedy: [
                    "read its log: stackpilot logs \(service.name)",
                    "the engine never restarts an unhealthy container by itself; stackpilot supervise does, with backoff",
                ], fix: .restartContainer(id: summary.id, service: service.name))
        case .starting:
            return .warning(
                "\(service.name) is running, its healthcheck has not passed yet", evidence: evidence,
                remedy: ["wait for it (stackpilot up --wait), or read its log if it stays like this"])
        case .healthy:
            if restarts > 3 {
                return .warning(
                    "\(service.name) is healthy but has restarted \(restarts) times", evidence: await problemEvidence(),
                    remedy: ["look for the cause of the restarts: stackpilot logs \(service.name)"])
            }
            return .ok("\(service.name) is running and healthy", evidence: evidence)
        case .none, .unknown:
            if service.healthcheck.map({ !$0.disable }) ?? false {
                evidence.append("the compose file defines a healthcheck but the container has none: recreate it with stackpilot up")
                return .warning(
                    "\(service.name) is running without its healthcheck", evidence: evidence, remedy: ["stackpilot up recreates it with the healthcheck"])
            }
            return .ok("\(service.name) is running (no healthcheck)", evidence: evidence)
        }
    }

    static func exitCodeMeaning(_ code: Int) -> String {
        switch code {
        case 137: " (SIGKILL: killed, often out of memory)"
        case 139: " (SIGSEGV: crashed)"
        case 143: " (SIGTERM: stopped)"
        case 126: " (command cannot be executed)"
        case 127: " (command not found)"
        default: ""
        }
    }

    static func logTail(_ engine: DockerEngine.Client, id: String, lines: Int) async throws -> [String] {
        let stream = try await engine.logs(id, options: DockerEngine.LogsOptions(tail: lines))
        var text: [String] = []
        for try await frame in stream {
            text.append(contentsOf: frame.text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init))
        }
        return Array(text.suffix(lines))
    }
}
