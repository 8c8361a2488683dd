// The try-it panels, better with script: replies appear in place (announced by their aria-live
// regions) instead of reloading the page, and the phone line's words can be read aloud.
// Without this file the same forms work as plain posts. Text is only ever set with textContent.
"use strict";

(function () {
  const textForm = document.getElementById("text-form");
  const textReply = document.getElementById("text-reply");
  const message = document.getElementById("message");
  const callSaid = document.getElementById("call-said");
  const controls = document.getElementById("call-controls");
  const waitForm = document.getElementById("wait-form");
  const speak = document.getElementById("speak");
  if (!textForm || !callSaid) return;

  function paragraph(text, className) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  async function post(form, submitter) {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form, submitter),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  // If the script's request fails, post the form the plain way, so the panel still answers.
  function enhance(form, show) {
    async function onSubmit(event) {
      event.preventDefault();
      try {
        show(await post(form, event.submitter));
      } catch (error) {
        form.removeEventListener("submit", onSubmit);
        form.requestSubmit(event.submitter);
      }
    }
    form.addEventListener("submit", onSubmit);
  }

  enhance(textForm, function (text) {
    textReply.replaceChildren(
      paragraph(textReply.dataset.youSent, "said-label"),
      paragraph(text.sent, "sent"),
      paragraph(textReply.dataset.reply, "said-label"),
      paragraph(text.reply || text.note, "sms"),
    );
    message.value = "";
  });

  function readAloud(lines) {
    if (!speak.checked || !window.speechSynthesis) return;
    window.speechSynthesis.cancel();
    for (const line of lines) {
      const utterance = new SpeechSynthesisUtterance(line);
      utterance.lang = document.documentElement.lang;
      window.speechSynthesis.speak(utterance);
    }
  }

  function showCall(call) {
    const shown = [paragraph(callSaid.dataset.says, "said-label")];
    for (const line of call.said) shown.push(paragraph(line, "voice"));
    if (call.ended) shown.push(paragraph(callSaid.dataset.ended, "ended"));
    callSaid.replaceChildren(...shown);
    for (const input of controls.querySelectorAll("input[data-step]")) {
      input.value = call[input.dataset.step] || "";
    }
    const hadFocus = controls.contains(document.activeElement);
    controls.hidden = !call.gather;
    waitForm.hidden = !call.redirect;
    // A hidden button cannot keep focus: hand it to the start button, not to the top of the page.
    if (hadFocus && controls.hidden) document.querySelector("#start-form button").focus();
    const speech = document.getElementById("speech");
    speech.value = "";
    if (call.ended && window.speechSynthesis) window.speechSynthesis.cancel();
    readAloud(call.said);
  }

  for (const form of document.querySelectorAll(".call-form")) enhance(form, showCall);
  if (window.speechSynthesis) speak.closest(".speak").hidden = false;
})();
