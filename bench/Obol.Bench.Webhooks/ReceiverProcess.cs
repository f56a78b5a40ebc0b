using System.Diagnostics;
using System.Globalization;

namespace Obol.Bench;

/// <summary>The webhook receiver in a process of its own (this program run with "receiver"), so its CPU is kept apart.</summary>
internal sealed class ReceiverProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly HttpClient client;

    private ReceiverProcess(Process process, string url)
    {
        this.process = process;
        Url = url;
        client = new HttpClient { BaseAddress = new Uri(url) };
    }

    public string Url { get; }

    public TimeSpan Cpu
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public static async Task<ReceiverProcess> StartAsync()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ReceiverProcess).Assembly.Location);
        }

        start.ArgumentList.Add("receiver");
        var process = Process.Start(start) ?? throw new InvalidOperationException("The receiver did not start.");
        var url = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The receiver printed no address.");
        return new ReceiverProcess(process, url.Trim());
    }

    public async Task<long> CountAsync() =>
        long.Parse(await client.GetStringAsync("/count"), CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
