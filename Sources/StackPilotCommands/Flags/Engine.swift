import ArgumentParser
import DockerEngine
import Foundation
import Logging

extension Flags {
    /// `--host` / `-H`, read as the docker CLI reads it, with `DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
    /// `DOCKER_CERT_PATH` and `DOCKER_API_VERSION` from the environment.
    public struct Engine: ParsableArguments, Sendable {
        @Option(
            name: [.customShort("H"), .customLong("host")],
            help: ArgumentHelp(
                "Docker engine to talk to: unix:///path/to/docker.sock or tcp://host:port.",
                discussion:
                    "Default: DOCKER_HOST, else unix:///var/run/docker.sock. tcp:// needs TLS: DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH with ca.pem, cert.pem, key.pem (plain TCP only with STACKPILOT_ALLOW_PLAIN_TCP=1).",
                valueName: "url"))
        public var host: String?

        public init() {}

        /// The engine's address; a bad `--host`/`DOCKER_HOST` is bad input (exit 2).
        public func resolveHost(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CommandFailure) -> DockerEngine.Host {
            do {
                return try DockerEngine.Host.resolve(host: host, environment: environment)
            } catch {
                throw CommandFailure(badInput: error.description)
            }
        }

        /// A client for the engine. Does not contact it yet: the first call negotiates the API
        /// version (or uses `DOCKER_API_VERSION` when set, as the docker CLI does).
        public func makeClient(
            logger: Logger = Logger(label: "stackpilot.docker"), environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(CommandFailure) -> DockerEngine.Client {
            let host = try resolveHost(environment: environment)
            var pinned: DockerEngine.APIVersion?
            if let text = environment["DOCKER_API_VERSION"], !text.isEmpty {
                guard let version = DockerEngine.APIVersion(text) else {
                    throw CommandFailure(badInput: "DOCKER_API_VERSION=\(text) is not an API version such as 1.41")
                }
                guard DockerEngine.APIVersion.supported.contains(version) else {
                    throw CommandFailure(
                        badInput:
                            "DOCKER_API_VERSION=\(text) is outside what stackpilot speaks (\(DockerEngine.APIVersion.minimumSupported) to \(DockerEngine.APIVersion.maximumSupported)); unset it to negotiate"
                    )
                }
                pinned = version
            }
            do {
                return try DockerEngine.Client(host: host, apiVersion: pinned, logger: logger)
            } catch {
                throw CommandFailure(failed: error.description)
            }
        }
    }
}
