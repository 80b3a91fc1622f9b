//! Tests of the Slack channel through its doors: signed requests into [`routes`], and the Web API
//! client against a fake Slack on loopback.

mod events;
mod interactions;
mod modals;
mod props;
mod support;
mod web;
