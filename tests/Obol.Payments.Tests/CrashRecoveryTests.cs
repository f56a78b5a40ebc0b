using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

/// <summary>The real server and simulator as separate processes, so that one can be killed mid-charge.</summary>
public class CrashRecoveryTests
{
    [Theory]
    [BothDatabases]
    public async Task A_server_killed_mid_charge_resolves_the_payment_exactly_once_after_restart(DatabaseProvider provider)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var simulatorPort = FreePort();
        using var simulator = Start("Obol.PspSimulator", simulatorPort, new Dictionary<string, string>
        {
            ["PspSimulator__TimeoutHold"] = "00:02:00",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{simulatorPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        await WaitUntilAsync(async () => (await TryGetAsync(http, "sim/charges")) is not null);

        var serverPort = FreePort();
        var settings = new Dictionary<string, string>
        {
            ["Obol__Database__Provider"] = provider.ToString().ToLowerInvariant(),
            ["ConnectionStrings__Obol"] = database.ConnectionString,
            ["Obol__BootstrapApiKey"] = ObolTestServer.BootstrapKey,
            ["Obol__PrintDevelopmentKey"] = "false",
            ["Obol__Payments__Stripe__BaseUrl"] = $"http://127.0.0.1:{simulatorPort}/sim/stripe",
            ["Obol__Payments__Adyen__BaseUrl"] = $"http://127.0.0.1:{simulatorPort}/sim/adyen",
            ["Obol__Payments__PspTimeout"] = "00:01:00",
            ["Obol__Payments__Resolver__StartedLease"] = "00:00:02",
            ["Obol__Payments__Resolver__PollInterval"] = "00:00:00.200",
        };
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{serverPort}/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ObolTestServer.BootstrapKey);

        string paymentId;
        using (var first = Start("Obol.Server", serverPort, settings))
        {
            await WaitUntilAsync(async () => (await TryGetAsync(client, "readyz")) is not null);
            // The simulator charges, then holds the answer: the server is now between its PSP call and recording the result.
            _ = client.PostJsonAsync("/v1/payments", """{"amount":7700,"currency":"USD","paymentMethod":"pm_card_timeout"}""", "crash-key");
            await WaitUntilAsync(async () => (await TryGetAsync(http, "sim/charges"))?.GetArrayLength() == 1);
            await first.KillAsync();
        }

        using (Start("Obol.Server", serverPort, settings))
        {
            await WaitUntilAsync(async () => (await TryGetAsync(client, "readyz")) is not null);
            var list = await client.GetFromJsonAsync<JsonElement>("/v1/payments");
            paymentId = list.GetProperty("data")[0].GetProperty("id").GetString()!;
            await WaitUntilAsync(async () => (await TryGetAsync(client, $"v1/payments/{paymentId}"))?.GetProperty("status").GetString() == "captured");

            var charges = (await TryGetAsync(http, "sim/charges"))!.Value;
            Assert.Equal(1, charges.GetArrayLength());
            Assert.Equal(paymentId, charges[0].GetProperty("reference").GetString());
            var events = await client.GetFromJsonAsync<JsonElement>($"/v1/payments/{paymentId}/events");
            Assert.Equal("resolver", events.GetProperty("data").EnumerateArray().Last().GetProperty("source").GetString());
            var verify = await client.GetFromJsonAsync<JsonElement>("/v1/ledger/verify");
            Assert.True(verify.GetProperty("ok").GetBoolean(), verify.GetRawText());
        }
    }

    private static ChildProcess Start(string program, int port, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, program))
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    private static async Task<JsonElement?> TryGetAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true within 60 s.");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A child process that never outlives the test: disposing it kills it.</summary>
    private sealed class ChildProcess(Process process) : IDisposable
    {
        public async Task KillAsync()
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
