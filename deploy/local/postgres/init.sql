-- One database per service (what `npm run infra -- up` creates on a local server).
create database ionet_inventory;
create database ionet_verification;
create database ionet_matching;
create database ionet_leasing;
create database ionet_billing;
create database ionet_tokenomics;
create database ionet_governance;
create database ionet_ledger;
create database ionet_webhooks;
create database ionet_test;
