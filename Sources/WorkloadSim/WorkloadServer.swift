import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// One workload-sim process: the HTTP server plus its background services (load generator, leak
/// fault, simulated GPU), run as one service group so SIGTERM drains them all gracefully.
public struct WorkloadServer: Sendable {
    public let configuration: WorkloadConfiguration
    public let simulator: Simulator
    let logger: Logger
    let makeTransport: TransportFactory

    public init(configuration: WorkloadConfiguration, logger: Logger, makeTransport: @escaping TransportFactory) {
        self.configuration = configuration
        self.logger = logger
        self.makeTransport = makeTransport
        let metrics = WorkloadMetrics(role: configuration.role)
        self.simulator = Simulator(metrics: metrics, faults: configuration.faults, gpuTotalMB: configuration.simulatedGPUTotalMB)
    }

    /// Runs until cancelled or until one of `shutdownSignals` arrives (then in-flight requests finish first).
    /// `onRunning` receives the bound port once the server listens.
    public func run(shutdownSignals: [UnixSignal] = [.sigterm, .sigint], onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let modelAPI: UpstreamClient?
        if configuration.role == .api {
            do {
                modelAPI = UpstreamClient(transport: try makeTransport(configuration.modelAPIURL))
            } catch {
                throw ConfigurationError(source: "--model-api-url \(configuration.modelAPIURL)", message: "\(error)")
            }
        } else {
            modelAPI = nil
        }
        let routes = WorkloadRoutes(configuration: configuration, simulator: simulator, modelAPI: modelAPI, logger: logger)
        let boundPort = PortBox()
        let app = Application(
            router: routes.router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "workload-sim"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                boundPort.set(port)
                logger.info("listening", metadata: ["role": "\(configuration.role.rawValue)", "host": "\(configuration.host)", "port": "\(port)"])
                await onRunning(port)
            },
            logger: logger)
        let background = BackgroundService(
            configuration: configuration, simulator: simulator, boundPort: boundPort, makeTransport: makeTransport, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: background)],
                gracefulShutdownSignals: shutdownSignals, logger: logger))
        try await group.run()
        logger.info("stopped", metadata: ["role": "\(configuration.role.rawValue)"])
    }
}

/// The port the server bound, for the load generator (which must wait for it when port 0 was asked for).
final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    var value: Int? { port.withLock { $0 } }
}

/// Ticks the leak fault and the simulated GPU every second, and sends the built-in load.
struct BackgroundService: Service {
    let configuration: WorkloadConfiguration
    let simulator: Simulator
    let boundPort: PortBox
    let makeTransport: TransportFactory
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await ticks() }
                if configuration.loadRate > 0 {
                    group.addTask { await load() }
                }
            }
        }
    }

    func ticks() async {
        var last = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            let elapsed = now - last
            last = now
            simulator.leakTick(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            simulator.refreshGPU()
        }
    }

    /// Sends `loadRate` requests per second to this process' own endpoint, without waiting for
    /// answers (so latency faults do not slow the rate), capped at 256 in flight.
    func load() async {
        while boundPort.value == nil, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
        guard let port = boundPort.value else { return }
        let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        let baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let client: UpstreamClient
        do {
            client = UpstreamClient(transport: try makeTransport(baseURL))
        } catch {
            logger.error("load generator cannot start", metadata: ["url": "\(baseURL)", "error": "\(error)"])
            return
        }
        let path = configuration.role == .api ? "/v1/query" : "/v1/infer"
        logger.info("load generator started", metadata: ["rate": "\(configuration.loadRate)", "target": "\(baseURL)\(path)"])
        let interval = Duration.seconds(1 / configuration.loadRate)
        let inFlight = InFlightCount()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                if inFlight.admit(limit: 256) {
                    group.addTask {
                        defer { inFlight.release() }
                        let body = LoadGenerator.body(for: configuration.role)
                        do {
                            _ = try await client.postJSON(path, body: body, timeout: .seconds(120))
                        } catch {
                            logger.debug("load request failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

final class InFlightCount: Sendable {
    private let count = Mutex(0)

    func admit(limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { count.withLock { $0 -= 1 } }
}

enum LoadGenerator {
    static let queries = [
        "what does the chart on page 3 show?", "summarise the attached report", "find images of red cars",
        "which products appear in this photo?", "translate the caption into French", "list the key risks in the contract",
    ]

    static func body(for role: WorkloadRole) -> Data {
        let model = WorkloadMetrics.models.randomElement()!
        let modality = Bool.random() ? "image" : "text"
        let encoder = JSONEncoder()
        switch role {
        case .api:
            return (try? encoder.encode(QueryRequest(query: queries.randomElement()!, model: model, modality: modality))) ?? Data()
        case .modelAPI:
            return (try? encoder.encode(InferenceRequest(model: model, prompt: queries.randomElement()!, modality: modality))) ?? Data()
        }
    }
}
