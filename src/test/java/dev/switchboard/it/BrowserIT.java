package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Two headless Chromium pages, each its own browser, open a real RTCPeerConnection data channel
 * through the server, using the demo page the WAR serves. Uses Debian's chromium and
 * chromium-driver; nothing is downloaded.
 */
class BrowserIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final List<WebDriver> browsers = new ArrayList<>();

  @AfterEach
  void quit() {
    browsers.forEach(WebDriver::quit);
  }

  @Test
  void twoBrowsersOpenADataChannelThroughTheServer() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed) {
      String reason = "chromium and chromium-driver are not installed (apt-get install them)";
      System.out.println("[it] BrowserIT: " + reason);
      // CI installs them (.ci/run); there a missing browser is a failure, not a skip.
      assertThat(System.getenv("CI")).as(reason).isNotEqualTo("true");
      Assumptions.abort(reason);
    }
    ServerProcess server = ServerProcess.standard();
    String room = SignalingIT.room();

    WebDriver host = browser();
    host.get(server.http("/demo/?role=host&roomId=" + room).toString());
    waitForState(host, "waiting");
    WebDriver player = browser();
    player.get(server.http("/demo/?role=player&roomId=" + room).toString());

    waitForState(player, "connected");
    waitForState(host, "connected");
    assertThat(host.findElement(By.id("log")).getText())
        .contains("received offer", "received candidate", "data channel: pong");
    assertThat(player.findElement(By.id("log")).getText())
        .contains("received answer", "data channel: ping");

    player.quit();
    browsers.remove(player);
    waitForState(host, "peer-disconnected");
  }

  private WebDriver browser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Host candidates as plain addresses: mDNS names cannot be resolved in this sandbox.
        "--disable-features=WebRtcHideLocalIpsWithMdns");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    WebDriver driver = new ChromeDriver(service, options);
    browsers.add(driver);
    return driver;
  }

  private static void waitForState(WebDriver driver, String state) {
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .withMessage(() -> "page never reached state " + state + ": " + driver.getTitle())
        .until(d -> ("switchboard:" + state).equals(d.getTitle()));
  }
}
