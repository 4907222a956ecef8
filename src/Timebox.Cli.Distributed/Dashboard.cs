using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Timebox.Distributed;

/// <summary>
/// Hangfire's dashboard for `timebox worker --dashboard URL`, served by Kestrel at the URL itself: read-only unless
/// --dashboard-writable, on loopback only unless --dashboard-public (which also lets any client in: the dashboard has
/// no login, so put it behind something that has one).
/// </summary>
internal sealed class Dashboard : IDisposable
{
    /// <summary>The whole site is the dashboard (Hangfire's links follow wherever it is mapped).</summary>
    private const string PathMatch = "";
    private readonly WebApplication _app;

    private Dashboard(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it answers, the port resolved when the URL asked for port 0.</summary>
    public string Address { get; }

    /// <exception cref="IOException">The address is taken, or cannot be bound.</exception>
    public static Dashboard Start(Uri url, JobStorage storage, bool writable, bool open)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        builder.Services.AddHangfire(configuration => configuration.UseStorage(storage));
        var app = builder.Build();
        app.UseHangfireDashboard(PathMatch, new DashboardOptions
        {
            IsReadOnlyFunc = _ => !writable,
            Authorization = open ? [new AnyClient()] : [new LocalRequestsOnlyAuthorizationFilter()],
            DisplayStorageConnectionString = false,
            AppPath = null,
        }, storage);
        app.StartAsync().GetAwaiter().GetResult();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? url.GetLeftPart(UriPartial.Authority);
        return new Dashboard(app, $"{bound}{PathMatch} ({(writable ? "writable" : "read-only")})");
    }

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
    }

    private sealed class AnyClient : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }
}
