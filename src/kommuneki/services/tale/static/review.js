// Play the recording one segment at a time (the review page). Without JavaScript the player still works.
(function () {
  "use strict";
  var audio = document.getElementById("tale-audio");
  if (!audio) return;
  var stopAt = null;
  audio.addEventListener("timeupdate", function () {
    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
  });
  document.querySelectorAll(".tale-play").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      audio.currentTime = parseFloat(button.dataset.start);
      stopAt = parseFloat(button.dataset.end);
      audio.play();
    });
  });
})();
