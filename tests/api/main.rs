//! Integration tests, one binary: the simulator over HTTP with real tokens, Doorman's Graph
//! client against it with faults on, the simulated Teams and Slack seen from a fake bot, the
//! command line, and the daemon's endpoints.

mod app;
mod approvals;
mod catalog;
mod cli;
mod conversations;
mod crash_suite;
mod crashes;
mod delivery_log;
mod deploy;
mod engine;
mod exchange;
mod fault_suite;
mod forged;
mod graph_client;
mod graph_fidelity;
mod helpers;
mod hostile;
mod integrity;
mod intent;
mod invariants;
mod key_rotation;
mod ledger;
mod lifecycle;
mod lists;
mod logs;
mod mail;
mod manifests;
mod owners;
mod parsers;
mod policy;
mod recovery;
mod recovery_hostile;
mod requests;
mod serve;
mod sim_chat;
mod sim_control;
mod sim_fidelity;
mod sim_graph_rules;
mod sim_login;
mod slack_modals;
mod workload;
