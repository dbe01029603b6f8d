import ArgumentParser
import EngineProxy
import Foundation
import HTTPTransport
import Logging
import Supervisor

extension StackPilot {
    /// `stackpilot engine-proxy`: the Docker engine behind an allow-list of the calls `supervise`
    /// makes, on a unix socket of its own, so the exporter container never holds the real socket.
    struct EngineProxyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "engine-proxy",
            abstract: "Serve the engine to the exporter through an allow-list of the calls supervise makes.",
            discussion: """
                Passes on GET /_ping, /version, /info, /events, /containers/json, /containers/{id}/json \
                and /containers/{id}/stats (with or without a /v1.NN prefix), and POST \
                /containers/{id}/restart only with --allow-restart; everything else is answered 403 \
                and never reaches the engine. Encoded paths (%), dot segments and malformed targets are \
                refused before matching. Listens on a unix socket whose mode --socket-mode sets: put it \
                in a volume only the exporter mounts. Stops cleanly on SIGTERM or SIGINT.
                """
        )

        @OptionGroup var engine: Flags.Engine

        @Option(name: .customLong("listen"), help: ArgumentHelp("Unix socket to serve the allow-listed engine on.", valueName: "unix:///path"))
        var listen: String = "unix:///run/stackpilot/engine.sock"

        @Option(
            name: .customLong("socket-mode"), help: ArgumentHelp("Octal mode of the socket file (0666 lets a non-root exporter connect).", valueName: "mode"))
        var socketMode: String = "0660"

        @Flag(name: .customLong("allow-restart"), help: "Also pass on POST /containers/{id}/restart (what healing needs).")
        var allowRestart = false

        var policy: EngineProxy.Policy { EngineProxy.Policy(allowRestart: allowRestart) }

        /// `--socket-mode` as a file mode: octal, at most 0777.
        static func parseMode(_ text: String) -> mode_t? {
            guard !text.isEmpty, text.count <= 4, let mode = UInt32(text, radix: 8), mode <= 0o777 else { return nil }
            return mode_t(mode)
        }

        func validate() throws {
            do {
                _ = try EngineProxy.Server.parseListen(listen)
            } catch {
                throw ValidationError(error.description)
            }
            guard Self.parseMode(socketMode) != nil else {
                throw ValidationError("--socket-mode \"\(socketMode)\" is not an octal file mode such as 0660")
            }
        }

        func run() async throws {
            let path = try EngineProxy.Server.parseListen(listen)
            let mode = Self.parseMode(socketMode) ?? 0o660
            let host = try engine.resolveHost()
            let logger = Logger(label: "stackpilot.engine-proxy")
            let transport: CurlTransport
            do {
                transport = try CurlTransport(endpoint: host.endpoint, options: .init(connectTimeout: .seconds(5)), logger: logger)
            } catch {
                throw CommandFailure(badInput: "engine \(host.description): \(error)")
            }
            let service = EngineProxy.Server.makeService(engine: transport, socketPath: path, socketMode: mode, policy: policy, logger: logger)
            do {
                try await SupervisorGroup(services: [service]).run(logger: logger)
            } catch {
                throw CommandFailure(failed: "the engine proxy on \(path) stopped: \(error)")
            }
        }
    }
}
