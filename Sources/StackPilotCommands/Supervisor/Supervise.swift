import ArgumentParser
import ContainerStats
import DockerEngine
import Foundation
import Logging
import Supervisor

extension StackPilot {
    /// `stackpilot supervise`: the long-running side of StackPilot. Now: the Prometheus exporter of
    /// per-container stats (cAdvisor's metric names). Each part is a `Service` in one
    /// `ServiceGroup`, so healing and re-provisioning join as further services.
    struct Supervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "supervise",
            abstract: "Run the exporter: per-container metrics (cAdvisor names) on /metrics, health on /healthz.",
            discussion: """
            Collects on scrape (at most once per --cache), from cgroupfs when the engine is local and \
            /sys/fs/cgroup is readable (mount it read-only into the exporter container, with the \
            socket, and run it in the host's pid namespace for network counters), else from the \
            engine's one-shot stats. Stops cleanly on SIGTERM or SIGINT.
            """
        )

        @OptionGroup var engine: Flags.Engine

        @Option(name: .customLong("listen"), help: ArgumentHelp("Address to serve /metrics and /healthz on.", valueName: "host:port"))
        var listen: String = "127.0.0.1:9338"

        @Option(name: .customLong("source"), help: "Where samples come from: auto, api or cgroup.")
        var source: StatsSourceChoice = .auto

        @Option(name: .customLong("label"), help: ArgumentHelp("Only containers with this label (key or key=value); repeatable.", valueName: "label"))
        var labels: [String] = []

        @Option(name: .customLong("cache"), help: ArgumentHelp("Serve scrapes within this many seconds of the last collection from it.", valueName: "seconds"))
        var cacheSeconds: Double = 2

        func validate() throws {
            do {
                _ = try ExporterServer.parseListen(listen)
            } catch {
                throw ValidationError(error.description)
            }
            guard cacheSeconds >= 0, cacheSeconds <= 300 else {
                throw ValidationError("--cache \(cacheSeconds) must be between 0 and 300 seconds")
            }
        }

        func run() async throws {
            let address = try ExporterServer.parseListen(listen)
            let client = try engine.makeClient()
            let logger = Logger(label: "stackpilot.supervise")

            // Pick the source now when a container runs; otherwise decide without a probe.
            let probe = try? await client.runningContainers(labels: labels).first
            let resolved: (StatsSourceKind, CgroupReader?)
            do {
                resolved = try StatsCollector.resolve(source, engineIsLocal: client.isLocal, probe: probe)
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            let collector = try StatsCollector(source: resolved.0, engine: client, cgroup: resolved.1, logger: logger)
            let exporter = ContainerMetricsExporter(
                engine: client, collector: collector,
                configuration: .init(labels: labels, cacheTTL: .milliseconds(Int64(cacheSeconds * 1000))),
                logger: logger)
            logger.info("collecting container stats", metadata: ["source": "\(resolved.0.rawValue)", "engine": "\(client.endpoint.description)"])

            let http = ExporterServer.makeService(exporter: exporter, host: address.host, port: address.port, logger: logger)
            let group = SupervisorGroup(services: [http])
            do {
                try await group.run(logger: logger)
            } catch {
                throw CommandFailure(failed: "the exporter stopped: \(error)")
            }
        }
    }
}
