import DockerEngine
import Foundation
import Logging

extension Orchestration {
    /// `OrchestrationEngine` over the Docker Engine API. Each method is one engine call (two for
    /// a build: none before the upload), so counting transport requests counts engine work.
    public struct DockerEngineBackend: OrchestrationEngine {
        public let client: DockerEngine.Client
        public let logger: Logger

        public init(client: DockerEngine.Client, logger: Logger = Logger(label: "stackpilot.orchestration")) {
            self.client = client
            self.logger = logger
        }

        public func listContainers(project: String?) async throws -> [DockerEngine.ContainerSummary] {
            let filters = project.map { DockerEngine.Filters().composeProject($0) } ?? DockerEngine.Filters().label(Labels.project)
            return try await client.listContainers(all: true, filters: filters)
        }

        public func listNetworks(project: String, names: [String]) async throws -> [DockerEngine.Network] {
            let wanted = Set(names)
            return try await client.listNetworks().filter { n in wanted.contains(n.name) || n.labels?[Labels.project] == project }
        }

        public func listVolumes(project: String, names: [String]) async throws -> [DockerEngine.Volume] {
            let wanted = Set(names)
            return try await client.listVolumes().filter { v in wanted.contains(v.name) || v.labels?[Labels.project] == project }
        }

        public func imageID(_ reference: String) async throws -> String? {
            do {
                return try await client.inspectImage(reference).id
            } catch {
                if error.isNotFound { return nil }
                throw error
            }
        }

        public func pullImage(_ reference: String, progress: @escaping @Sendable (DockerEngine.ProgressMessage) -> Void) async throws {
            for try await m in try await client.pullImage(reference) { progress(m) }
        }

        public func buildImage(_ reference: String, spec: BuildSpec, output: @escaping @Sendable (String) -> Void) async throws {
            let context = try BuildContext.stream(directory: spec.context, dockerfile: spec.dockerfile)
            let options = DockerEngine.BuildOptions(tags: [reference], dockerfile: spec.dockerfile, buildArgs: spec.args, target: spec.target)
            var pending = ""
            for try await m in try await client.buildImage(context: context, options: options) {
                guard let text = m.stream ?? m.status else { continue }
                pending += text
                while let nl = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<nl])
                    pending = String(pending[pending.index(after: nl)...])
                    if !line.isEmpty { output(line) }
                }
            }
            if !pending.isEmpty { output(pending) }
        }

        public func createNetwork(_ network: DesiredNetwork, project: String) async throws {
            var labels = network.labels
            labels[Labels.project] = project
            labels[Labels.network] = network.key
            labels[Labels.version] = Labels.composeVersion
            let request = DockerEngine.NetworkCreateRequest(
                name: network.name, driver: network.driver ?? "bridge",
                internal: network.internal ? true : nil, attachable: network.attachable ? true : nil, labels: labels
            )
            do {
                _ = try await client.createNetwork(request)
            } catch {
                // Created meanwhile by a concurrent up: converged either way.
                if !error.isConflict { throw error }
            }
        }

        public func createVolume(_ volume: DesiredVolume, project: String) async throws {
            var labels = volume.labels
            labels[Labels.project] = project
            labels[Labels.volume] = volume.key
            labels[Labels.version] = Labels.composeVersion
            _ = try await client.createVolume(DockerEngine.VolumeCreateRequest(name: volume.name, driver: volume.driver, labels: labels))
        }

        public func createContainer(name: String, spec: DockerEngine.ContainerConfig) async throws -> String {
            try await client.createContainer(name: name, spec).id
        }

        public func copyToContainer(id: String, path: String, archive: Data, copyUIDGID: Bool) async throws {
            try await client.copyToContainer(id, path: path, archive: archive, copyUIDGID: copyUIDGID)
        }

        public func connectNetwork(_ network: String, container: String, aliases: [String]) async throws {
            try await client.connectNetwork(network, container: container, endpoint: DockerEngine.EndpointSettings(aliases: aliases))
        }

        public func renameContainer(id: String, to name: String) async throws {
            try await client.renameContainer(id, to: name)
        }

        public func startContainer(id: String) async throws {
            do { try await client.startContainer(id) } catch { if !error.isNotModified { throw error } }
        }

        public func stopContainer(id: String, timeout: Int?) async throws {
            do { try await client.stopContainer(id, timeout: timeout) } catch { if !error.isNotModified { throw error } }
        }

        public func restartContainer(id: String, timeout: Int?) async throws {
            try await client.restartContainer(id, timeout: timeout)
        }

        public func removeContainer(id: String, force: Bool, volumes: Bool) async throws {
            do { try await client.removeContainer(id, force: force, volumes: volumes) } catch { if !error.isNotFound { throw error } }
        }

        public func removeNetwork(name: String) async throws {
            do { try await client.removeNetwork(name) } catch { if !error.isNotFound { throw error } }
        }

        public func removeVolume(name: String) async throws {
            do { try await client.removeVolume(name) } catch { if !error.isNotFound { throw error } }
        }

        public func inspectContainer(id: String) async throws -> DockerEngine.ContainerInspect {
            try await client.inspectContainer(id)
        }

        public func logTail(id: String, lines: Int) async throws -> [String] {
            var out: [String] = []
            for try await frame in try await client.logs(id, options: DockerEngine.LogsOptions(tail: lines)) {
                out.append(contentsOf: frame.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            }
            while out.last?.isEmpty == true { out.removeLast() }
            return Array(out.suffix(lines))
        }

        /// The container's output one line per frame (a line split across frames is joined), for `stackpilot logs`.
        public func logs(
            id: String, follow: Bool, tail: Int?, timestamps: Bool, since: Int?
        ) async throws -> AsyncThrowingStream<DockerEngine.LogFrame, any Error> {
            let stream = try await client.logs(
                id,
                options: DockerEngine.LogsOptions(
                    follow: follow, timestamps: timestamps, tail: tail, since: since.map { Date(timeIntervalSince1970: TimeInterval($0)) }))
            return AsyncThrowingStream { continuation in
                let task = Task {
                    var pending: [DockerEngine.LogFrame.Source: String] = [:]
                    func line(_ kind: DockerEngine.LogFrame.Source, _ text: some StringProtocol) -> DockerEngine.LogFrame {
                        DockerEngine.LogFrame(source: kind, payload: Data(text.utf8))
                    }
                    do {
                        for try await frame in stream {
                            let kind: DockerEngine.LogFrame.Source = frame.source == .stderr ? .stderr : .stdout
                            var text = pending[kind, default: ""] + frame.text
                            while let nl = text.firstIndex(of: "\n") {
                                continuation.yield(line(kind, text[..<nl]))
                                text = String(text[text.index(after: nl)...])
                            }
                            pending[kind] = text
                        }
                        for (kind, text) in pending where !text.isEmpty { continuation.yield(line(kind, text)) }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }

        public func containerEvents(project: String) async throws -> AsyncThrowingStream<DockerEngine.Event, any Error> {
            let events = try await client.events(filters: DockerEngine.Filters().type("container").composeProject(project))
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await e in events where e.actor?.id != nil { continuation.yield(e) }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }
}
