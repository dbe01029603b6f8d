// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "StackPilot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stackpilot", targets: ["stackpilot"]),
        .executable(name: "workload-sim", targets: ["workload-sim"]),
        .executable(name: "grafana-standin", targets: ["grafana-standin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries and the one shim target with fixed-signature wrappers for their variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .target(name: "CStackPilotShims", dependencies: ["CCurl", "CJansson"], exclude: ["README.md"]),
        // NVML's few structs and calls, loaded with dlopen (also compiled by scripts/gpu-check).
        .target(name: "CNVML", exclude: ["README.md"]),

        // Leaf modules: no ArgumentParser, no printing.
        .target(
            name: "HTTPTransport",
            dependencies: [
                "CCurl", "CStackPilotShims",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(name: "JSONDocument", dependencies: ["CJansson", "CStackPilotShims"], exclude: ["README.md"]),
        .target(name: "Durations", exclude: ["README.md"]),
        .target(name: "GPU", dependencies: ["CNVML"], exclude: ["README.md"]),
        .target(
            name: "DockerEngine",
            dependencies: [
                "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "Compose",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "Orchestration",
            dependencies: [
                "DockerEngine", "Compose",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "ContainerStats",
            dependencies: [
                "DockerEngine", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "PrometheusAPI",
            dependencies: [
                "HTTPTransport", "Durations",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "Grafana",
            dependencies: [
                "HTTPTransport", "JSONDocument", "Durations",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "Doctor",
            dependencies: [
                "HTTPTransport", "DockerEngine", "Compose", "ContainerStats", "PrometheusAPI", "Grafana", "Durations", "GPU",
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "EngineProxy",
            dependencies: [
                "HTTPTransport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "Supervisor",
            dependencies: [
                "DockerEngine", "ContainerStats", "Doctor", "GPU",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .target(
            name: "StackPilotCommands",
            dependencies: [
                "GPU", "Durations",
                "HTTPTransport", "DockerEngine", "Compose", "Orchestration",
                "ContainerStats", "PrometheusAPI", "Grafana", "Doctor", "Supervisor", "EngineProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(name: "stackpilot", dependencies: ["StackPilotCommands"], exclude: ["README.md"]),

        // Stand-ins: the MultimodalRAG workload and Grafana's HTTP API.
        .target(
            name: "WorkloadSim",
            dependencies: [
                "HTTPTransport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .executableTarget(name: "workload-sim", dependencies: ["WorkloadSim"], exclude: ["README.md"]),
        .target(
            name: "GrafanaStandIn",
            dependencies: [
                "HTTPTransport", "JSONDocument", "Durations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ], exclude: ["README.md"]),
        .executableTarget(name: "grafana-standin", dependencies: ["GrafanaStandIn"], exclude: ["README.md"]),
        // Benchmark for scripts/bench.d/transport (not a product; not a test).
        .executableTarget(name: "transport-bench", dependencies: ["HTTPTransport"], path: "Sources/TransportBench", exclude: ["README.md"]),
        // What NVML sees, as JSON, for scripts/gpu-check (not a product).
        .executableTarget(name: "gpu-check", dependencies: ["GPU"], path: "Sources/GPUCheck", exclude: ["README.md"]),

        // Test targets: one per module (add yours here), plus IntegrationTests against the real engine.
        // TestSupport: what the test targets share: the test doubles (stub, spy and dead transports, FakeEngine),
        // the engine fixture and its busybox image, servers stopped gracefully, one free-port helper.
        .target(
            name: "TestSupport",
            dependencies: [
                "HTTPTransport", "DockerEngine", "Orchestration",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], path: "Tests/TestSupport"),
        .testTarget(name: "GPUTests", dependencies: ["GPU"]),
        .testTarget(name: "DoctorTests", dependencies: ["Doctor"]),
        .testTarget(name: "ComposeTests", dependencies: ["Compose", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "StackPilotCommandsTests", dependencies: ["StackPilotCommands"]),
        .testTarget(
            name: "GrafanaTests",
            dependencies: [
                "TestSupport", "Grafana", "GrafanaStandIn", "JSONDocument", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "OrchestrationTests",
            dependencies: [
                "Orchestration", "Compose", "DockerEngine", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "GrafanaStandInTests",
            dependencies: [
                "TestSupport", "GrafanaStandIn", "HTTPTransport", "JSONDocument",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "HTTPTransportTests",
            dependencies: [
                "TestSupport", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(name: "JSONDocumentTests", dependencies: ["JSONDocument", "TestSupport"]),
        .testTarget(name: "DurationsTests", dependencies: ["Durations"]),
        .testTarget(
            name: "PrometheusAPITests",
            dependencies: [
                "TestSupport", "PrometheusAPI", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "WorkloadSimTests",
            dependencies: [
                "TestSupport", "WorkloadSim", "PrometheusAPI", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "DockerEngineTests",
            dependencies: [
                "TestSupport", "DockerEngine", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(
            name: "ContainerStatsTests",
            dependencies: [
                "ContainerStats", "DockerEngine",
                .product(name: "Logging", package: "swift-log"),
            ], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "SupervisorTests",
            dependencies: [
                "Supervisor", "ContainerStats", "DockerEngine", "PrometheusAPI", "GPU",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(name: "EngineProxyTests", dependencies: ["EngineProxy"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "HTTPTransport", "JSONDocument", "DockerEngine", "Compose", "Orchestration",
                "ContainerStats", "PrometheusAPI", "Grafana", "GrafanaStandIn", "Doctor", "Supervisor", "StackPilotCommands", "EngineProxy",
                "WorkloadSim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
