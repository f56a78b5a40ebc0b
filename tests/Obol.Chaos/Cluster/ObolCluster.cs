using System.Net;
using System.Net.Sockets;

namespace Obol.Chaos.Cluster;

/// <summary>
/// The system under test: a standalone PSP simulator and N Obol nodes, separate processes on one PostgreSQL database,
/// configured by environment as an operator would. Timings are short so that a run resolves in minutes; each is
/// listed here, next to why it has that value.
/// </summary>
public sealed class ObolCluster : IAsyncDisposable
{
    /// <summary>The operator's key (the default merchant's), valid on every node from start-up.</summary>
    public const string BootstrapKey = "sk_test_chaos000000000000000000000000000001";

    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(90);

    private ObolCluster(ManagedProcess simulator, IReadOnlyList<ManagedProcess> nodes, PostgresServer postgres, string databaseConnection)
    {
        Simulator = simulator;
        Nodes = nodes;
        Postgres = postgres;
        DatabaseConnection = databaseConnection;
    }

    public ManagedProcess Simulator { get; }
    public IReadOnlyList<ManagedProcess> Nodes { get; }
    public PostgresServer Postgres { get; }

    /// <summary>For the harness's own reads (quiescence, the checker): unpooled, so that none outlives a PostgreSQL restart.</summary>
    public string DatabaseConnection { get; }

    public static async Task<ObolCluster> StartAsync(ChaosOptions options, int seed, string runDirectory, PostgresServer postgres, CancellationToken cancellationToken)
    {
        var database = $"obol_chaos_{seed}";
        var nodeConnection = await postgres.CreateDatabaseAsync(database, cancellationToken);
        var simulatorAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        var nodeAddresses = Enumerable.Range(0, options.Nodes).Select(_ => new Uri($"http://127.0.0.1:{FreePort()}/")).ToList();

        var simulator = new ManagedProcess("simulator", options.SimulatorDll, ["--urls", simulatorAddress.ToString().TrimEnd('/')],
            SimulatorEnvironment(nodeAddresses), Path.Combine(runDirectory, "simulator"), simulatorAddress, "sim/faults");
        var nodes = nodeAddresses.Select((address, i) => new ManagedProcess($"node{i + 1}", options.ServerDll, [],
            NodeEnvironment(address, simulatorAddress, nodeConnection), Path.Combine(runDirectory, $"node{i + 1}"), address, "healthz")).ToList();
        var cluster = new ObolCluster(simulator, nodes, postgres, postgres.ConnectionString(database, poolSize: 0));
        try
        {
            await simulator.StartAsync(StartWithin, cancellationToken);
            // One after the other: concurrent first starts would queue on the migration lock anyway, and the machine is small.
            foreach (var node in nodes)
            {
                await node.StartAsync(StartWithin, cancellationToken);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public Task RestartNodeAsync(ManagedProcess node, CancellationToken cancellationToken) => node.StartAsync(StartWithin, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Simulator.DisposeAsync();
    }

    /// <summary>
    /// Holds unanswered PSP calls 2 s (Obol gives up after 1 s anyway); settles bank transfers after 2 s; retries each
    /// endpoint's webhooks from 200 ms doubling to 2 s, 60 times, so deliveries outlast a killed node and a PostgreSQL restart.
    /// </summary>
    private static Dictionary<string, string> SimulatorEnvironment(IReadOnlyList<Uri> nodes)
    {
        var environment = CommonEnvironment();
        environment["PspSimulator__TimeoutHold"] = "00:00:02";
        environment["PspSimulator__BankTransferSettleDelay"] = "00:00:02";
        environment["PspSimulator__WebhookRetry__InitialDelay"] = "00:00:00.200";
        environment["PspSimulator__WebhookRetry__BackoffFactor"] = "2";
        environment["PspSimulator__WebhookRetry__MaxDelay"] = "00:00:02";
        environment["PspSimulator__WebhookRetry__MaxAttempts"] = "60";
        environment["PspSimulator__WebhookRetry__RequestTimeout"] = "00:00:05";
        environment["Logging__LogLevel__Obol"] = "Information";
        foreach (var (key, value) in WebhookEndpoints(nodes))
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>
    /// Every node is a webhook endpoint of each PSP (as a merchant registers each of its servers, or one load balancer),
    /// signed with the secrets Obol verifies by default: a killed node misses its copies, the others get theirs.
    /// </summary>
    private static IEnumerable<KeyValuePair<string, string>> WebhookEndpoints(IReadOnlyList<Uri> nodes)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return new($"PspSimulator__Stripe__WebhookEndpoints__{index}__Url", new Uri(nodes[i], "webhooks/psp/stripe").ToString());
            yield return new($"PspSimulator__Adyen__WebhookEndpoints__{index}__Url", new Uri(nodes[i], "webhooks/psp/adyen").ToString());
        }
    }

    /// <summary>
    /// PSP calls time out after 1 s (so kills and held responses make unknown outcomes); the resolver polls every second,
    /// takes over a started attempt after 4 s and backs off from 2 s to 5 s (an unknown outcome lives a few seconds, as
    /// with Obol's defaults, and can meet an incident); an idempotency claim of a dead request is taken over after 10 s. EUR goes to Adyen first, everything else to Stripe first, so both PSPs get traffic.
    /// Reconciliation runs only when the harness asks, against the simulator's reports.
    /// </summary>
    private static Dictionary<string, string> NodeEnvironment(Uri self, Uri simulator, string connectionString)
    {
        var environment = CommonEnvironment();
        environment["ASPNETCORE_URLS"] = self.ToString().TrimEnd('/');
        environment["Obol__Database__Provider"] = "postgres";
        environment["ConnectionStrings__Obol"] = connectionString;
        environment["Obol__BootstrapApiKey"] = BootstrapKey;
        environment["Obol__PrintDevelopmentKey"] = "false";
        environment["Obol__PspSimulator__Enabled"] = "false";
        environment["Obol__Payments__Stripe__BaseUrl"] = new Uri(simulator, "sim/stripe").ToString();
        environment["Obol__Payments__Adyen__BaseUrl"] = new Uri(simulator, "sim/adyen/").ToString();
        environment["Obol__Payments__PspTimeout"] = "00:00:01";
        environment["Obol__Payments__Resolver__PollInterval"] = "00:00:01";
        environment["Obol__Payments__Resolver__StartedLease"] = "00:00:04";
        environment["Obol__Payments__Resolver__InitialBackoff"] = "00:00:02";
        environment["Obol__Payments__Resolver__MaxBackoff"] = "00:00:05";
        environment["Obol__Idempotency__Lease"] = "00:00:10";
        environment["Obol__Payments__Routing__0__Currencies__0"] = "EUR";
        environment["Obol__Payments__Routing__0__Psps__0"] = "adyen";
        environment["Obol__Payments__Routing__0__Psps__1"] = "stripe";
        environment["Obol__Reconciliation__Schedule__Enabled"] = "false";
        environment["Obol__Reconciliation__Stripe__ReportUrl"] = new Uri(simulator, "sim/stripe/settlements").ToString() + "?date={date}";
        environment["Obol__Reconciliation__Adyen__ReportUrl"] = new Uri(simulator, "sim/adyen/settlements").ToString() + "?date={date}";
        return environment;
    }

    /// <summary>Workstation GC (two cores, five processes); JSON logs without ASP.NET Core's per-request lines.</summary>
    private static Dictionary<string, string> CommonEnvironment() => new(StringComparer.Ordinal)
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Information",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Warning",
    };

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
