using Obol.Chaos;
using Obol.Chaos.Cluster;

// A Jepsen-style fault test of Obol: see README.md. Exit code 0: every run passed; 1: violations; 2: the harness failed.
ChaosOptions options;
try
{
    options = ChaosOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(ChaosOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var postgres = new PostgresServer(options.Postgres);
var reports = new List<RunReport>();
for (var run = 0; run < options.Runs && !stop.IsCancellationRequested; run++)
{
    reports.Add(await new ChaosRun(options, options.Seed + run, postgres).RunAsync(stop.Token));
}

if (reports.Count > 1)
{
    Console.WriteLine(RunReport.Table(reports));
}

return reports.Any(r => r.HarnessFailure is not null) ? 2 : reports.All(r => r.Passed) ? 0 : 1;
