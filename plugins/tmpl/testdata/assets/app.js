import { greet } from "./lib.js";
document.addEventListener("DOMContentLoaded", () => greet(document.body));
